package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/balancebot/balancebot/internal/golden"
	"github.com/balancebot/balancebot/internal/rules"
	"github.com/slack-go/slack"
)

// Slack's limits on a message's text (it truncates past 40,000
// characters) and on an ack's payload (refused at 20 KB).
const (
	maxMessageText = 40000
	maxAckBytes    = 20 << 10
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkText(t *testing.T, name, text string) {
	t.Helper()
	if text == "" {
		t.Errorf("%s: no text: Slack refuses a message without it", name)
	}
	if n := utf8.RuneCountInString(text); n > maxMessageText {
		t.Errorf("%s: %d characters of text, Slack cuts at %d", name, n, maxMessageText)
	}
}

// goldenBlocks renders a Block Kit message as Slack receives it, checks
// Block Kit's limits and compares it with its golden file.
func goldenBlocks(t *testing.T, name, text string, blocks []slack.Block, meta *slack.SlackMetadata) {
	t.Helper()
	checkLimits(t, name, blocks)
	checkText(t, name, text)
	msg := struct {
		Text     string               `json:"text"`
		Blocks   []slack.Block        `json:"blocks"`
		Metadata *slack.SlackMetadata `json:"metadata,omitempty"`
	}{text, blocks, meta}
	b, err := json.MarshalIndent(msg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, name, append(b, '\n'))
}

func loadResult(t *testing.T, name string) *rules.Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var res rules.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return &res
}

func TestGoldenSummary(t *testing.T) {
	soap1 := loadResult(t, "soap1-result.json")
	// The week's open items: two carried over from last week (one of them
	// reopened after it was marked fixed), three new; two resolved, one
	// confirmed fixed; one mismatch covered by a dismissal.
	ledger := []rules.LocationItems{{Location: soap1.Locations[0].Location, Open: 5, New: 3, Reopened: 1, Resolved: 2, Confirmed: 1, Dismissed: 1,
		Owners: []string{"UOWNER1", "UOWNER2"}}}
	for _, c := range []struct {
		golden string
		res    *rules.Result
		ledger []rules.LocationItems
		full   bool
	}{
		{"summary-not-balanced.json", soap1, nil, false},
		{"summary-balanced.json", loadResult(t, "soap2-result.json"), nil, false},
		{"summary-many-locations.json", bigResult(12, 6), nil, false},
		{"summary-full-names.json", soap1, nil, true},
		{"summary-open-items.json", soap1, ledger, false},
	} {
		t.Run(c.golden, func(t *testing.T) {
			s := BlockKit{}.Summary(c.res, c.ledger, c.full)
			goldenBlocks(t, c.golden, s.Text, s.Blocks.BlockSet, &s.Metadata)
			says := strings.Contains(string(mustJSON(t, s.Blocks.BlockSet)), "Patients show as initials")
			if says == c.full {
				t.Errorf("full names %v, but the summary says patients show as initials: %v", c.full, says)
			}
		})
	}
}

// withItems is the week's items as a first balance makes them, with ids,
// one marked fixed and assigned, and one dismissed.
func withItems(t *testing.T, res *rules.Result) map[rules.ItemKey]*rules.Item {
	t.Helper()
	at := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	re := rules.Reevaluate(nil, rules.Balance{By: "balance", At: at, Day: rules.DateOfTime(at), Result: res})
	if len(re.Changed) < 3 {
		t.Fatalf("%d items, want 3 or more", len(re.Changed))
	}
	for i, it := range re.Changed {
		it.ID = int64(101 + i)
	}
	for _, a := range []struct {
		i int
		a rules.Action
	}{
		{0, rules.Action{Kind: rules.ActFixed, By: "UBILLER", At: at}},
		{0, rules.Action{Kind: rules.ActAssign, By: "UBILLER", At: at, Assignee: "UFRONTDESK"}},
		{1, rules.Action{Kind: rules.ActDismiss, By: "ULEAD", At: at, Note: "Re-billed by hand on 11/24"}},
	} {
		if _, err := re.Changed[a.i].Apply(a.a); err != nil {
			t.Fatal(err)
		}
	}
	return re.ByKey
}

func TestGoldenDetails(t *testing.T) {
	soap1 := loadResult(t, "soap1-result.json")
	for _, c := range []struct {
		golden string
		res    *rules.Result
		items  map[rules.ItemKey]*rules.Item
		full   bool
	}{
		{"details.json", soap1, nil, false},
		{"details-full-names.json", soap1, nil, true},
		{"details-many-locations.json", bigResult(3, 4), nil, false},
		{"details-items.json", soap1, withItems(t, soap1), false},
	} {
		t.Run(c.golden, func(t *testing.T) {
			msgs := BlockKit{}.Details(c.res, c.items, c.full)
			if len(msgs) == 0 {
				t.Fatal("no detail messages")
			}
			var all []any
			for _, m := range msgs {
				checkLimits(t, c.golden, m.Blocks.BlockSet)
				checkText(t, c.golden, m.Text)
				all = append(all, struct {
					Text   string        `json:"text"`
					Blocks []slack.Block `json:"blocks"`
				}{m.Text, m.Blocks.BlockSet})
			}
			b, err := json.MarshalIndent(all, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, c.golden, append(b, '\n'))
		})
	}
}
