package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/rules"
)

// itemCounts reads open_items, resolved_items and dismissed_items of the
// summary's first location from its metadata.
func itemCounts(t *testing.T, meta json.RawMessage) (open, resolved, dismissed float64) {
	t.Helper()
	var m struct {
		EventPayload struct {
			Locations []map[string]any `json:"locations"`
		} `json:"event_payload"`
	}
	if err := json.Unmarshal(meta, &m); err != nil || len(m.EventPayload.Locations) == 0 {
		t.Fatalf("metadata %s: %v", meta, err)
	}
	l := m.EventPayload.Locations[0]
	for k, p := range map[string]*float64{"open_items": &open, "resolved_items": &resolved, "dismissed_items": &dismissed} {
		v, ok := l[k].(float64)
		if !ok {
			t.Fatalf("metadata lacks %s: %s", k, meta)
		}
		*p = v
	}
	return
}

// slashAnswer runs a command whose answer comes by response_url, and
// returns that answer's number for response.
func (e *env) slashAnswer(text string) int {
	e.t.Helper()
	n := len(e.slack.Responses())
	e.slash(text)
	return n + 1
}

// The ledger across weeks, through the bot: an unbalanced week leaves
// items open; after a restart they are still there; one is marked fixed
// (in the store, as the item_fixed button will); a corrected export
// resolves two, confirming the fixed one, and the rest stay open.
func TestOpenItemsCarryForward(t *testing.T) {
	e := start(t)
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the summary", func() bool { return len(e.summaries()) == 1 })
	first := e.summaries()[0]
	// Five needs action: held, not re-billed, a date of service changed
	// on one side (an item per side), and an unexplained billing visit.
	if open, resolved, dismissed := itemCounts(t, first.Metadata); open != 5 || resolved != 0 || dismissed != 0 {
		t.Errorf("first balance: open %v, resolved %v, dismissed %v; want 5, 0, 0", open, resolved, dismissed)
	}
	if !strings.Contains(string(first.Blocks), "*Open items:* 5 open (0 carried over, 5 new)") {
		t.Errorf("the summary does not say the open items:\n%s", first.Blocks)
	}
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	e.settle()

	e.stop()
	e.boot()
	ctx := context.Background()
	items, err := e.main.DB.Items(ctx, channel, "Downtown")
	if err != nil || len(items) != 5 {
		t.Fatalf("after a restart: %d items, %v; want the 5 kept", len(items), err)
	}
	var moved *rules.Item
	for _, it := range items {
		if it.State != rules.ItemOpen || it.Assignee != "" {
			t.Errorf("item %d: %s, assigned %q; want open, unassigned (no owners set)", it.ID, it.State, it.Assignee)
		}
		if it.Key.Side == rules.SideEMR && it.Reason == rules.ReasonDOSMismatch {
			moved = it
		}
	}
	if moved == nil {
		t.Fatal("no item for the EMR visit whose date of service differs")
	}
	if _, err := e.main.DB.UpdateItem(ctx, channel, moved.ID, func(it *rules.Item) error {
		if _, err := it.Apply(rules.Action{Kind: rules.ActFixed, By: user, At: time.Now()}); err != nil {
			return err
		}
		_, err := it.Apply(rules.Action{Kind: rules.ActAssign, By: user, At: time.Now(), Assignee: "UFRONTDESK"})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// /balance open lists them, oldest first, masked, privately.
	if a := ackText(e.slash("open")); !strings.Contains(a, "Looking up the open items") {
		t.Errorf("ack: %q", a)
	}
	list := e.response(1)
	for _, want := range []string{"*Open items: 5*", "*Downtown* · 5 open · oldest new today",
		"new today · EMR only · Wed 11/18 · A.K. · Date of service differs · _marked fixed by <@" + user + ">: the next balance confirms it_ · assigned to <@UFRONTDESK>",
		"billing only · Tue 11/17 · W.C. (acct …830) · Unexplained"} {
		if !strings.Contains(list, want) {
			t.Errorf("/balance open lacks %q:\n%s", want, list)
		}
	}
	for _, name := range patientNames {
		if strings.Contains(list, name) {
			t.Errorf("/balance open names %q", name)
		}
	}

	// The EMR's date of service corrected to billing's: a newer export.
	emr, err := os.ReadFile(example(t, "soap1-week", "emr-billing-report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.ReplaceAll(string(emr), `"Kowalski, Adam",11/18/2026`, `"Kowalski, Adam",11/19/2026`)
	if fixed == string(emr) {
		t.Fatal("the example no longer has the visit this test corrects")
	}
	path := filepath.Join(t.TempDir(), "emr-billing-report-corrected.csv")
	if err := os.WriteFile(path, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	e.share("", path)
	e.waitFor("the second summary", func() bool { return len(e.summaries()) == 2 })
	second := e.summaries()[1]
	if open, resolved, dismissed := itemCounts(t, second.Metadata); open != 3 || resolved != 2 || dismissed != 0 {
		t.Errorf("second balance: open %v, resolved %v, dismissed %v; want 3, 2, 0", open, resolved, dismissed)
	}
	if !strings.Contains(string(second.Blocks), "*Open items:* 3 open (3 carried over, 0 new) · 2 resolved by this balance (1 confirmed fixed)") {
		t.Errorf("the summary does not say what it resolved:\n%s", second.Blocks)
	}
	e.settle()
	if list := e.response(e.slashAnswer("open downtown")); !strings.Contains(list, "*Open items: 3*") || strings.Contains(list, "Date of service differs") {
		t.Errorf("/balance open downtown after the correction:\n%s", list)
	}
	if list := e.response(e.slashAnswer(`open "Uptown"`)); !strings.Contains(list, "Nothing is open at *Uptown*") {
		t.Errorf("/balance open Uptown:\n%s", list)
	}
	e.settle()

	e.stop()
	e.boot()
	items, err = e.main.DB.Items(ctx, channel)
	if err != nil || len(items) != 5 {
		t.Fatalf("after the second restart: %d items, %v", len(items), err)
	}
	states := map[rules.ItemState]int{}
	for _, it := range items {
		states[it.State]++
		if it.ID == moved.ID {
			last := it.Trail[len(it.Trail)-1]
			if it.State != rules.ItemResolved || last.What != rules.ChangeConfirmed || it.Trail[1].By != user {
				t.Errorf("the fixed item: %s, trail %+v; want confirmed by the balance after %s fixed it", it.State, it.Trail, user)
			}
		}
	}
	if states[rules.ItemOpen] != 3 || states[rules.ItemResolved] != 2 {
		t.Errorf("states %v, want 3 open and 2 resolved", states)
	}
	// The ledger's trail names people and balances, never a patient, in
	// the logs.
	for _, name := range patientNames {
		if strings.Contains(e.logs.String(), name) {
			t.Errorf("the logs name %q", name)
		}
	}
}
