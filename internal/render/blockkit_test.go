package render

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/slack-go/slack"
)

// bigResult is a month for many clinics, each with many mismatches.
func bigResult(locations, mismatchesEach int) *rules.Result {
	res := &rules.Result{From: rules.DateOf(2026, 11, 2), To: rules.DateOf(2026, 11, 27)}
	for l := 0; l < locations; l++ {
		loc := rules.Location{Location: fmt.Sprintf("Clinic %03d & Annex <North>", l), Reasons: map[rules.Reason]int{},
			EMRVisits: 1000, BillingVisits: 990, MatchedVisits: 980}
		for i := 0; i < mismatchesEach; i++ {
			r := rules.Reasons[i%len(rules.Reasons)]
			loc.Mismatches = append(loc.Mismatches, rules.Mismatch{Side: rules.SideEMR, Patient: fmt.Sprintf("Patient%d, Person", i),
				Account: fmt.Sprint(100000 + i), DateOfService: res.From.AddDays(i % 20), Reason: r, NeedsAction: r.NeedsAction()})
			loc.Reasons[r]++
		}
		loc.Balanced = loc.ActionCount() == 0
		res.Locations = append(res.Locations, loc)
	}
	for i := 0; i < 30; i++ {
		res.Warnings = append(res.Warnings, rules.Warning{Code: rules.WarnReplaced, File: strings.Repeat("a long file name ", 8) + ".csv",
			OtherFile: strings.Repeat("another long file name ", 8) + ".csv", Kind: rules.KindChargeAuditSummary, Period: &rules.Period{From: res.From, To: res.To}})
	}
	return res
}

// checkLimits asserts a message stays within Block Kit's limits.
func checkLimits(t *testing.T, what string, blocks []slack.Block) {
	t.Helper()
	if len(blocks) > maxBlocks {
		t.Errorf("%s: %d blocks, the limit is %d", what, len(blocks), maxBlocks)
	}
	total := 0
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if n := utf8.RuneCountInString(b.Text.Text); n > maxHeaderText {
				t.Errorf("%s: header of %d characters", what, n)
			}
			total += len(b.Text.Text)
		case *slack.SectionBlock:
			if b.Text != nil {
				if n := utf8.RuneCountInString(b.Text.Text); n > maxSectionText {
					t.Errorf("%s: section text of %d characters", what, n)
				}
				total += len(b.Text.Text)
			}
			if len(b.Fields) > 10 {
				t.Errorf("%s: %d fields", what, len(b.Fields))
			}
			for _, f := range b.Fields {
				if n := utf8.RuneCountInString(f.Text); n > maxFieldText {
					t.Errorf("%s: field of %d characters", what, n)
				}
				total += len(f.Text)
			}
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if tx, ok := e.(*slack.TextBlockObject); ok {
					total += len(tx.Text)
				}
			}
		}
	}
	if total > 12000 {
		t.Errorf("%s: %d characters of block text, near where Slack refuses messages", what, total)
	}
	if _, err := json.Marshal(blocks); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func TestBlocksStayWithinLimits(t *testing.T) {
	for _, tc := range []struct{ locations, each int }{{1, 0}, {1, 3}, {1, 2500}, {6, 40}, {300, 12}} {
		res := bigResult(tc.locations, tc.each)
		name := fmt.Sprintf("%d locations × %d", tc.locations, tc.each)
		sum := BlockKit{}.Summary(res, nil, false)
		checkLimits(t, name+" summary", sum.Blocks.BlockSet)
		if sum.Text == "" || utf8.RuneCountInString(sum.Text) > 3000 {
			t.Errorf("%s: fallback text of %d characters", name, len(sum.Text))
		}
		meta, _ := json.Marshal(sum.Metadata)
		if strings.Contains(string(meta), "Patient") {
			t.Errorf("%s: metadata carries patients", name)
		}
		if locs := sum.Metadata.EventPayload["locations"].([]map[string]any); len(locs) > maxMetadataLocs {
			t.Errorf("%s: %d locations in metadata", name, len(locs))
		}
		details := BlockKit{}.Details(res, nil, false)
		for i, d := range details {
			checkLimits(t, fmt.Sprintf("%s detail %d", name, i+1), d.Blocks.BlockSet)
		}
		listed := 0
		for _, d := range details {
			b, _ := json.Marshal(d.Blocks.BlockSet)
			listed += strings.Count(string(b), "• EMR only")
			if strings.Contains(string(b), "Patient1, Person") {
				t.Errorf("%s: a full name in masked details", name)
			}
		}
		want := tc.locations * tc.each
		if tc.locations > compactDetailsLocs {
			// Compact: only the visits that need action are listed.
			want = 0
			for i := range res.Locations {
				want += res.Locations[i].ActionCount()
			}
		}
		want = min(want, maxListedInSlack)
		if listed != want {
			t.Errorf("%s: %d mismatches listed in the thread, want %d", name, listed, want)
		}
	}
}

func TestSummaryEscapesMrkdwn(t *testing.T) {
	res := bigResult(2, 1)
	b, _ := json.Marshal(BlockKit{}.Summary(res, nil, false).Blocks.BlockSet)
	if strings.Contains(string(b), "<North>") || !strings.Contains(string(b), `\u0026amp; Annex \u0026lt;North\u0026gt;`) {
		t.Errorf("location names must be escaped in mrkdwn: %s", b)
	}
}

func TestSingleLocationTitle(t *testing.T) {
	res := bigResult(1, len(rules.Reasons)) // one of each reason
	action := 0
	for _, r := range rules.Reasons {
		if r.NeedsAction() {
			action++
		}
	}
	b, _ := json.Marshal(BlockKit{}.Summary(res, nil, false).Blocks.BlockSet)
	if !strings.Contains(string(b), fmt.Sprintf(`"*Not balanced*: %d visits need action"`, action)) {
		t.Errorf("summary: %s", b)
	}
	res.Locations[0].Mismatches, res.Locations[0].Reasons, res.Locations[0].Balanced, res.Balanced = nil, map[rules.Reason]int{}, true, true
	b, _ = json.Marshal(BlockKit{}.Summary(res, nil, false).Blocks.BlockSet)
	if !strings.Contains(string(b), `"text":"Balanced"`) {
		t.Errorf("summary: %s", b)
	}
}

func TestRunAgainByDateOfServiceComesFirst(t *testing.T) {
	res := bigResult(1, len(rules.Reasons))
	res.Warnings = append(res.Warnings, rules.Warning{Code: rules.WarnDateBasis, File: "cas.csv", DateBasis: "Created Date"})
	steps := nextSteps(res)
	if !strings.HasPrefix(steps, "1. *First:* Run cas.csv again by Date of Service: it was run by Created Date") {
		t.Errorf("the first step must be to run the report again by Date of Service:\n%s", steps)
	}
	if !strings.Contains(steps, "\n2. *Held on Billing Exceptions*") {
		t.Errorf("the visits' steps come after it:\n%s", steps)
	}
}

// A 100-clinic group's summary names every unbalanced clinic, over as many
// sections as it takes, within Block Kit's limits.
func TestSummaryNamesEveryUnbalancedLocation(t *testing.T) {
	res := bigResult(100, 12)
	for i := range res.Locations {
		if i%2 == 0 { // half balanced: only expected differences
			l := &res.Locations[i]
			l.Mismatches, l.Reasons, l.Balanced = nil, map[rules.Reason]int{}, true
		}
	}
	sum := BlockKit{}.Summary(res, nil, false)
	checkLimits(t, "summary", sum.Blocks.BlockSet)
	b := string(mustJSON(t, sum.Blocks.BlockSet))
	if n := strings.Count(b, `\n• *Clinic`); n != 50 {
		t.Errorf("the summary names %d of the 50 unbalanced locations", n)
	}
	if strings.Contains(b, "more locations in the thread") || !strings.Contains(b, "*Not balanced* (50)") {
		t.Errorf("the list is cut:\n%s", b)
	}
}

// A group's details say why and what to do once per reason, then per
// location the visits that need action, with the expected differences as
// counts; every visit stays in the CSV.
func TestCompactDetailsForManyLocations(t *testing.T) {
	res := bigResult(100, 6)
	for i := range res.Locations {
		if i%2 == 0 { // expected differences only
			l := &res.Locations[i]
			l.Mismatches = l.Mismatches[:2]
			l.Reasons = map[rules.Reason]int{l.Mismatches[0].Reason: 1, l.Mismatches[1].Reason: 1}
		}
	}
	var all strings.Builder
	msgs := BlockKit{}.Details(res, nil, false)
	for i, m := range msgs {
		checkLimits(t, fmt.Sprintf("detail %d", i+1), m.Blocks.BlockSet)
		all.Write(mustJSON(t, m.Blocks.BlockSet))
	}
	got := all.String()
	reasons := map[rules.Reason]bool{}
	for i := range res.Locations {
		for r := range res.Locations[i].Reasons {
			reasons[r] = true
		}
	}
	if n := strings.Count(got, "_Why:_"); n != len(reasons) {
		t.Errorf("why is said %d times, want once per reason (%d)", n, len(reasons))
	}
	action := 0
	for i := range res.Locations {
		action += res.Locations[i].ActionCount()
	}
	if n := strings.Count(got, "• EMR only"); n != action || action == 0 {
		t.Errorf("%d visits listed, want the %d that need action", n, action)
	}
	if !strings.Contains(got, "Balanced, with expected differences only") || !strings.Contains(got, "expected: NORCM 1, No Charges this Visit 1") {
		t.Errorf("expected differences are not counted:\n%.3000s", got)
	}
	if len(msgs) > 12 {
		t.Errorf("%d thread messages for 100 locations", len(msgs))
	}
	t.Logf("%d thread messages", len(msgs))
}

func TestLocationsCSV(t *testing.T) {
	res := bigResult(60, 3)
	res.Locations[0].Location = "=HYPERLINK(\"x\")"
	var b strings.Builder
	if err := LocationsCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 61 || strings.Contains(got, "Patient") {
		t.Errorf("%d lines, want a header and 60 locations, no patients:\n%.500s", len(lines), got)
	}
	if !strings.HasPrefix(lines[1], `"'=HYPERLINK`) {
		t.Errorf("a formula in a location name is not neutralised: %s", lines[1])
	}
	if !strings.Contains(lines[2], `,yes,1000,990,980,10,0,"norcm=1,no_charge=1,do_not_bill=1"`) {
		t.Errorf("the figures: %s", lines[2])
	}
}
