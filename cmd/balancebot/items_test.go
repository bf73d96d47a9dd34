package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/exportgen"
	"github.com/balancebot/balancebot/internal/fakeslack"
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

// correctedEMR writes the example week's EMR Billing Report with Adam
// Kowalski's 11/18 visit corrected to 11/19, billing's date of service,
// as a billing lead would after "Date of service differs".
func correctedEMR(t *testing.T) string {
	t.Helper()
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
	return path
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
	e.share("", correctedEMR(t))
	e.waitFor("the second summary", func() bool { return len(e.balances()) == 2 })
	second := e.balances()[1]
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
	// Billing's name for the clinic, once mapped, lists the clinic's items.
	if a := ackText(e.slash(`location "DOWNTOWN PT" = Downtown`)); !strings.Contains(a, "DOWNTOWN PT") {
		t.Errorf("/balance location: %q", a)
	}
	if list := e.response(e.slashAnswer(`open "DOWNTOWN PT"`)); !strings.Contains(list, "*Open items: 3*") || !strings.Contains(list, "*Downtown*") {
		t.Errorf("/balance open by billing's mapped name:\n%s", list)
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

// blocksJSON is a message's blocks as JSON, with <, > and & as written
// (Go's encoder escapes them).
func blocksJSON(m fakeslack.Message) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(m.Blocks))
}

// itemMessage finds the latest version of the thread message that carries
// the buttons of an item whose line contains line, and the item's id.
func (e *env) itemMessage(line string) (fakeslack.Message, string) {
	e.t.Helper()
	var found fakeslack.Message
	var id string
	for _, m := range e.slack.Messages() {
		var blocks []struct {
			BlockID string `json:"block_id"`
			Text    struct {
				Text string `json:"text"`
			} `json:"text"`
		}
		json.Unmarshal(m.Blocks, &blocks)
		for _, b := range blocks {
			if strings.HasPrefix(b.BlockID, "item:") && strings.Contains(b.Text.Text, line) {
				found, id = m, strings.TrimPrefix(b.BlockID, "item:")
			}
		}
	}
	if id == "" {
		e.t.Fatalf("no item shows %q:\n%s", line, e.dump())
	}
	return found, id
}

// click sends a block action on an item's message, as Slack does when a
// user clicks one of its buttons or picks a user in its select.
func (e *env) click(m fakeslack.Message, id, actionID, selected string) string {
	e.t.Helper()
	action := map[string]any{"action_id": actionID, "block_id": "item-actions:" + id, "type": "button", "value": id}
	if selected != "" {
		action = map[string]any{"action_id": actionID, "block_id": "item-actions:" + id, "type": "users_select", "selected_user": selected}
	}
	env := e.slack.Interact(map[string]any{
		"type": "block_actions", "trigger_id": "trig-" + actionID, "user": map[string]any{"id": user},
		"channel":   map[string]any{"id": channel},
		"container": map[string]any{"type": "message", "message_ts": m.TS, "channel_id": channel},
		"message":   map[string]any{"type": "message", "ts": m.TS, "thread_ts": m.ThreadTS, "text": m.Text, "blocks": m.Blocks},
		"actions":   []any{action},
	})
	e.waitFor("the ack of "+actionID, func() bool { _, ok := e.slack.Acked(env); return ok })
	return env
}

// The loop of issue 13, through the bot and its buttons: an unbalanced
// week leaves items open; one is marked fixed, one assigned and one
// dismissed (with the modal, which refuses an empty note), each shown in
// place; a closed item refuses another act; a restart keeps every state;
// a corrected export resolves the items it corrects and confirms the fixed
// one, the dismissal counts as explained, and a restart keeps that too.
func TestItemButtons(t *testing.T) {
	e := start(t)
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	e.settle()

	updated := func(id, want string) {
		t.Helper()
		e.waitFor("the item shown "+want, func() bool {
			for _, m := range e.slack.Messages() {
				if b := blocksJSON(m); m.Method == "chat.update" && strings.Contains(b, `"item:`+id+`"`) && strings.Contains(b, want) {
					return true
				}
			}
			return false
		})
	}

	// Fixed: the EMR visit whose date of service billing has otherwise.
	m, held := e.itemMessage("Wed 11/18 · A.K.")
	fixedButton := `"action_id":"item_fixed","value":"` + held + `"`
	if !strings.Contains(blocksJSON(m), fixedButton) {
		t.Fatalf("the item offers no Fixed button:\n%s", blocksJSON(m))
	}
	e.click(m, held, "item_fixed", "")
	updated(held, "Marked fixed by <@"+user+">")
	m, _ = e.itemMessage("Wed 11/18 · A.K.")
	if strings.Contains(blocksJSON(m), fixedButton) {
		t.Errorf("a fixed item still offers Fixed:\n%s", m.Blocks)
	}

	// Assigned.
	m, chen := e.itemMessage("W.C. (acct …830)")
	e.click(m, chen, "item_assign", "UFRONTDESK")
	updated(chen, "assigned to <@UFRONTDESK>")

	// Dismissed: the modal opens; an empty note is refused in the modal.
	m, patel := e.itemMessage("Fri 11/20 · A.P.")
	e.click(m, patel, "item_dismiss", "")
	e.waitFor("the dismiss modal", func() bool { return len(e.slack.Views()) == 1 })
	v := e.slack.Views()[0]
	var view struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal(v.View, &view); err != nil || view.CallbackID != "item_dismiss" || v.TriggerID != "trig-item_dismiss" {
		t.Fatalf("views.open %s with %s: %v", v.TriggerID, v.View, err)
	}
	for _, name := range patientNames {
		if strings.Contains(string(v.View), name) {
			t.Errorf("the modal names %q", name)
		}
	}
	submit := func(note string) json.RawMessage {
		env := e.slack.Interact(map[string]any{
			"type": "view_submission", "user": map[string]any{"id": user},
			"view": map[string]any{"callback_id": "item_dismiss", "private_metadata": view.PrivateMetadata,
				"state": map[string]any{"values": map[string]any{"note": map[string]any{"note": map[string]any{"type": "plain_text_input", "value": note}}}}},
		})
		var ack fakeslack.Ack
		e.waitFor("the submission's ack", func() bool { var ok bool; ack, ok = e.slack.Acked(env); return ok })
		return ack.Payload
	}
	if p := string(submit("   ")); !strings.Contains(p, `"response_action":"errors"`) || !strings.Contains(p, "needs a note") {
		t.Errorf("an empty note: ack %s, want the modal's error", p)
	}
	if p := string(submit("Re-billed by hand on 11/24")); strings.Contains(p, "errors") {
		t.Errorf("a note: ack %s, want the modal closed", p)
	}
	updated(patel, "Dismissed by <@"+user+">: Re-billed by hand on 11/24")

	// A dismissed item takes no act: the user alone is told why.
	m, _ = e.itemMessage("Fri 11/20 · A.P.")
	e.click(m, patel, "item_fixed", "")
	e.waitFor("the refusal", func() bool {
		for _, m := range e.slack.Messages() {
			if m.Method == "chat.postEphemeral" && m.User == user && strings.Contains(m.Text, "this item is closed: it was dismissed by "+user) {
				return true
			}
		}
		return false
	})
	e.settle()

	e.restart()
	items, err := e.main.DB.Items(context.Background(), channel)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, it := range items {
		states[fmt.Sprint(it.ID)] = string(it.State) + " " + it.Assignee
	}
	if states[held] != "fixed " || states[chen] != "open UFRONTDESK" || states[patel] != "dismissed " {
		t.Errorf("after a restart: %v", states)
	}

	// The corrected export: both sides of the date of service now match.
	e.share("", correctedEMR(t))
	e.waitFor("the second summary", func() bool { return len(e.balances()) == 2 })
	e.waitFor("the second CSV", func() bool { return len(e.slack.Uploads()) == 2 })
	e.settle()
	second := e.balances()[1]
	if open, resolved, dismissed := itemCounts(t, second.Metadata); open != 2 || resolved != 2 || dismissed != 1 {
		t.Errorf("after the correction: open %v, resolved %v, dismissed %v; want 2, 2, 1", open, resolved, dismissed)
	}
	if b := blocksJSON(second); !strings.Contains(b, "*Open items:* 2 open (2 carried over, 0 new) · 2 resolved by this balance (1 confirmed fixed) · 1 dismissed with a note") {
		t.Errorf("the second summary:\n%s", b)
	}
	// The summary was updated in place; what its thread got since shows
	// the dismissed item as dismissed, without buttons.
	var thread string
	after := false
	for _, m := range e.slack.Messages() {
		after = after || m.Method == "chat.update" && m.TS == second.TS && len(m.Metadata) > 0
		if after && m.Method == "chat.postMessage" && m.ThreadTS == second.TS {
			thread += blocksJSON(m)
		}
	}
	if !strings.Contains(thread, "Dismissed by <@"+user+">: Re-billed by hand on 11/24") || strings.Contains(thread, `"item-actions:`+patel+`"`) {
		t.Errorf("the second thread does not show the dismissal:\n%s", thread)
	}

	e.restart()
	items, err = e.main.DB.Items(context.Background(), channel)
	if err != nil || len(items) != 5 {
		t.Fatalf("after the last restart: %d items, %v", len(items), err)
	}
	for _, it := range items {
		id := fmt.Sprint(it.ID)
		last := it.Trail[len(it.Trail)-1]
		switch {
		case id == held && (it.State != rules.ItemResolved || last.What != rules.ChangeConfirmed):
			t.Errorf("the fixed item: %s, last change %s; want resolved, confirmed", it.State, last.What)
		case id == chen && (it.State != rules.ItemOpen || it.Assignee != "UFRONTDESK"):
			t.Errorf("the assigned item: %s, %q", it.State, it.Assignee)
		case id == patel && (it.State != rules.ItemDismissed || it.Note != "Re-billed by hand on 11/24"):
			t.Errorf("the dismissed item: %s, %q", it.State, it.Note)
		}
	}
}

// pressShowNames clicks the summary's Show names button as who.
func (e *env) pressShowNames(sum fakeslack.Message, who string) {
	e.t.Helper()
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	json.Unmarshal(sum.Blocks, &blocks)
	value := ""
	for _, b := range blocks {
		for _, el := range b.Elements {
			if el.ActionID == "show_names" {
				value = el.Value
			}
		}
	}
	if value == "" {
		e.t.Fatalf("the summary has no Show names button:\n%s", sum.Blocks)
	}
	env := e.slack.Interact(map[string]any{
		"type": "block_actions", "trigger_id": "trig", "user": map[string]any{"id": who}, "channel": map[string]any{"id": channel},
		"message": map[string]any{"type": "message", "ts": sum.TS, "text": sum.Text},
		"actions": []any{map[string]any{"action_id": "show_names", "block_id": "show_names", "type": "button", "value": value}},
	})
	e.waitFor("the ack of Show names", func() bool { _, ok := e.slack.Acked(env); return ok })
}

// Patient names go only to those allowed to see patient data, privately:
// the allowed get them in messages only they see and the full-name CSV by
// direct message; anyone else is refused and told who can grant access.
// The channel stays masked.
func TestShowNamesOnlyToThoseAllowed(t *testing.T) {
	e := start(t, func(c *Config) { c.PHIUsers, c.PHIUsergroup = []string{"ULEAD"}, "SPHI" })
	e.slack.SetUsergroup("SPHI", "UNURSE", "UOTHER")
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	e.settle()
	sum := e.summaries()[0]

	ephemeralTo := func(who string) string {
		var b strings.Builder
		for _, m := range e.slack.Messages() {
			if m.Method == "chat.postEphemeral" && m.User == who {
				b.WriteString(m.Text + "\n" + blocksJSON(m) + "\n")
			}
		}
		return b.String()
	}

	e.pressShowNames(sum, user)
	e.waitFor("the refusal", func() bool { return strings.Contains(ephemeralTo(user), "Patient names are shown only to") })
	refusal := ephemeralTo(user)
	if !strings.Contains(refusal, "<@ULEAD>") || !strings.Contains(refusal, "<!subteam^SPHI>") {
		t.Errorf("the refusal does not say who can grant access:\n%s", refusal)
	}

	for n, who := range []string{"ULEAD", "UNURSE"} {
		e.pressShowNames(sum, who)
		e.waitFor("the full-name CSV for "+who, func() bool { return len(e.slack.Uploads()) == 2+n })
		csv := e.slack.Uploads()[1+n]
		if csv.Channel != "D"+who || !strings.Contains(string(csv.Content), "Kowalski") {
			t.Errorf("the CSV for %s went to %s:\n%s", who, csv.Channel, csv.Content)
		}
		e.waitFor("the names for "+who, func() bool { return strings.Contains(ephemeralTo(who), "in your direct messages") })
		if got := ephemeralTo(who); !strings.Contains(got, "Kowalski, Adam") || !strings.Contains(got, "Ramirez, Luis") {
			t.Errorf("%s, allowed, does not see the names:\n%s", who, got)
		}
	}
	e.settle()

	// Nothing with names reached the channel, the refused user, or the logs.
	for _, m := range e.slack.Messages() {
		if m.Method == "chat.postEphemeral" && m.User != user {
			continue
		}
		for _, name := range patientNames {
			if strings.Contains(m.Text+blocksJSON(m), name) {
				t.Errorf("%s to %q names %q", m.Method, m.User+m.Channel, name)
			}
		}
	}
	for _, name := range patientNames {
		if strings.Contains(e.logs.String(), name) {
			t.Errorf("the logs name %q", name)
		}
		if strings.Contains(string(e.slack.Uploads()[0].Content), name) {
			t.Errorf("the channel's CSV names %q", name)
		}
	}
}

func TestParseOwners(t *testing.T) {
	got, err := parseOwners(" Downtown Clinic = U01 W02 ; Uptown=U03;")
	if err != nil || len(got) != 2 || strings.Join(got["downtownclinic"], ",") != "U01,W02" || strings.Join(got["uptown"], ",") != "U03" {
		t.Errorf("owners %v, %v", got, err)
	}
	for spec, want := range map[string]string{
		"Downtown":          `"Downtown" is not LOCATION=USER_ID`,
		"Downtown=":         `"Downtown=" is not LOCATION=USER_ID`,
		"=U01":              `"=U01" is not LOCATION=USER_ID`,
		"Downtown=@jessica": `"@jessica" for Downtown is not a Slack user id`,
	} {
		if _, err := parseOwners(spec); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "BALANCEBOT_OWNERS") {
			t.Errorf("%q: %v, want an error saying %s", spec, err, want)
		}
	}
}

// Clinic owners are mentioned on their unbalanced locations, and new items
// are assigned to the first of them.
func TestOwnersMentionedAndAssigned(t *testing.T) {
	e := start(t, func(c *Config) { c.Owners = "Downtown=UOWNER1 UOWNER2;Uptown=UOWNER3" })
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	e.settle()
	sum := e.summaries()[0]
	if b := blocksJSON(sum); !strings.Contains(b, "*Over to:* <@UOWNER1> <@UOWNER2> for *Downtown*") || strings.Contains(b, "UOWNER3") {
		t.Errorf("the summary mentions:\n%s", b)
	}
	if m, _ := e.itemMessage("W.C. (acct …830)"); !strings.Contains(blocksJSON(m), "assigned to <@UOWNER1>") {
		t.Errorf("the item is not shown assigned to the owner:\n%s", blocksJSON(m))
	}
	items, err := e.main.DB.Items(context.Background(), channel)
	if err != nil || len(items) != 5 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	for _, it := range items {
		if it.Assignee != "UOWNER1" || it.Trail[0].Assignee != "UOWNER1" {
			t.Errorf("item %d assigned %q (trail %q), want the first owner", it.ID, it.Assignee, it.Trail[0].Assignee)
		}
	}
}

// The weekly reminder carries the open items: per location, how many are
// open, new this week and resolved since; the oldest, masked, with their
// assignees mentioned.
func TestReminderCarriesOpenItems(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 22, 12, 0, 0, 0, chicago), func(c *Config) { c.ReminderChannels = []string{channel} })
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	e.settle()
	ctx := context.Background()
	items, err := e.main.DB.Items(ctx, channel)
	if err != nil || len(items) != 5 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	var chen int64
	for _, it := range items {
		if it.Mismatch.Account == "10830" {
			chen = it.ID
		}
	}
	if _, err := e.main.DB.UpdateItem(ctx, channel, chen, func(it *rules.Item) error {
		_, err := it.Apply(rules.Action{Kind: rules.ActAssign, By: user, At: e.clock.Now(), Assignee: "UFRONTDESK"})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	e.waitFor("the scheduler to sleep", func() bool { return e.clock.Waiters() >= 2 })
	e.clock.Set(time.Date(2026, 11, 23, 9, 0, 0, 0, chicago))
	var r string
	e.waitFor("the reminder", func() bool {
		for _, m := range e.slack.Messages() {
			if strings.HasPrefix(m.Text, ":calendar:") {
				r = m.Text
			}
		}
		return r != ""
	})
	for _, want := range []string{"*Open items*, oldest first:\n• *Downtown*: 5 open (5 new this week), 0 resolved since last week",
		"◦ 1 day · billing only · Tue 11/17 · W.C. (acct …830) · Unexplained · assigned to <@UFRONTDESK>",
		"◦ …and 2 more: `/balance open Downtown`"} {
		if !strings.Contains(r, want) {
			t.Errorf("the reminder lacks %q:\n%s", want, r)
		}
	}
	if strings.Index(r, "*Open items*") > strings.Index(r, "*Before you balance*") {
		t.Errorf("the open items come after the checklist:\n%s", r)
	}
	for _, name := range patientNames {
		if strings.Contains(r, name) {
			t.Errorf("the reminder names %q", name)
		}
	}
}

// homeText is an App Home's text, section by section.
func homeText(t *testing.T, view json.RawMessage) string {
	t.Helper()
	var v struct {
		Type   string `json:"type"`
		Blocks []struct {
			Type string `json:"type"`
			Text struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(view, &v); err != nil || v.Type != "home" {
		t.Fatalf("not a Home tab view (%v): %s", err, view)
	}
	var parts []string
	for _, b := range v.Blocks {
		if b.Type == "divider" {
			parts = append(parts, "──────")
		} else {
			parts = append(parts, b.Text.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// The App Home of a practice with three locations: last week's verdict per
// location with its open items and the oldest one's age, a link to the
// summary, and the items assigned to the viewer, masked.
func TestAppHome(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 23, 10, 0, 0, 0, chicago))
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("Downtown's balance", func() bool { return len(e.summaries()) == 1 })
	e.share("", examples(t, "soap2-week")...)
	e.waitFor("Uptown's balance", func() bool { return len(e.balances()) == 2 })
	emr := "Billing Report\nClinic: Eastside\nDate Range: 11/16/2026 - 11/20/2026\n\nPatient,Date of Service,CPT Code,Units\n" +
		"\"Stone, Ada\",11/16/2026,97110,2\n\"Stone, Ada\",11/18/2026,97110,2\n\"Vale, Bo\",11/19/2026,97140,1\n"
	cas := "Charge Audit Summary\nLocation: Eastside\nDate Type: Date of Service\nDate Range: 11/16/2026 - 11/20/2026\n\nPatient,Account #,Date of Service,Visits,Units\n" +
		"\"STONE, ADA\",7001,11/16/2026,1,2\n\"STONE, ADA\",7001,11/18/2026,1,2\n"
	e.slack.ShareFiles(channel, user, "", e.slack.AddFile("eastside-emr.csv", []byte(emr)), e.slack.AddFile("eastside-cas.csv", []byte(cas)))
	e.waitFor("Eastside's balance", func() bool { return len(e.balances()) == 3 })
	e.settle()
	ctx := context.Background()
	items, err := e.main.DB.Items(ctx, channel, "Eastside")
	if err != nil || len(items) != 1 {
		t.Fatalf("Eastside: %d items, %v", len(items), err)
	}
	if _, err := e.main.DB.UpdateItem(ctx, channel, items[0].ID, func(it *rules.Item) error {
		_, err := it.Apply(rules.Action{Kind: rules.ActAssign, By: "ULEAD", At: e.clock.Now(), Assignee: user})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	e.slack.OpenHome(user)
	e.waitFor("the App Home", func() bool { return len(e.slack.PublishedViews()) == 1 })
	p := e.slack.PublishedViews()[0]
	home := homeText(t, p.View)
	t.Logf("App Home for %s:\n%s", p.User, home)
	if p.User != user {
		t.Errorf("published for %s, want %s", p.User, user)
	}
	for _, want := range []string{"*<#" + channel + ">*", "*Last week* (Mon 11/16 – Sun 11/22)",
		"• *Downtown* — :warning: 5 open items, new today", "• *Eastside* — :warning: 1 open item, new today",
		"• *Uptown* — :white_check_mark: balanced", "|the summary>",
		"*Assigned to you* (1 open, oldest first)\n• *Eastside* · new today · EMR only · Thu 11/19 · B.V. · Unexplained · assigned to <@" + user + ">"} {
		if !strings.Contains(home, want) {
			t.Errorf("the App Home lacks %q", want)
		}
	}
	for _, name := range append(patientNames, "Stone", "Vale") {
		if strings.Contains(home, name) {
			t.Errorf("the App Home names %q", name)
		}
	}
}

// A group with more locations than the summary's metadata carries gets
// every location's figures as a file in the thread.
func TestLocationsCSVForALargeGroup(t *testing.T) {
	dir := t.TempDir()
	emrPath, billPath := filepath.Join(dir, "emr.csv"), filepath.Join(dir, "cas.csv")
	emr, err := os.Create(emrPath)
	if err != nil {
		t.Fatal(err)
	}
	bill, err := os.Create(billPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := exportgen.DefaultConfig(6000)
	cfg.Locations = 60
	want, err := exportgen.Generate(emr, bill, cfg)
	emr.Close()
	bill.Close()
	if err != nil {
		t.Fatal(err)
	}
	e := start(t)
	e.share("", emrPath, billPath)
	e.waitFor("both files", func() bool { return len(e.slack.Uploads()) == 2 })
	e.settle()
	var locs *fakeslack.Upload
	for _, u := range e.slack.Uploads() {
		if strings.HasPrefix(u.Filename, "balance-locations-") {
			locs = &u
		}
	}
	if locs == nil || locs.ThreadTS != e.summaries()[0].TS {
		t.Fatalf("no locations CSV in the summary's thread: %+v", e.slack.Uploads())
	}
	lines := strings.Split(strings.TrimSpace(string(locs.Content)), "\n")
	if len(lines) != 1+want.Locations || !strings.HasPrefix(lines[0], "location,balanced,emr_visits,billing_visits,matched_visits,difference,needs_action,reasons") {
		t.Errorf("the locations CSV has %d lines for %d locations:\n%s", len(lines), want.Locations, locs.Content)
	}
}
