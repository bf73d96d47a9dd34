package render

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/balancebot/balancebot/internal/rules"
)

// maxItemsPerLocation bounds the lines /balance open lists per location:
// the thread and the CSV of each balance list every one.
const maxItemsPerLocation = 25

// OpenItems renders the open items for /balance open (Slack mrkdwn): per
// location, the most items first, each location's oldest first, with age,
// side, date of service, the patient (masked unless full), reason, state
// and assignee. where is the location asked for ("" for all), which names
// it when it has none. Items are the channel's (closed ones are left out).
func (BlockKit) OpenItems(items []*rules.Item, where string, today rules.Date, full bool) string {
	type group struct {
		name  string
		items []*rules.Item
	}
	var groups []*group
	byKey := map[string]*group{}
	total := 0
	for _, it := range items {
		if !it.State.IsOpen() || where != "" && it.Key.Location != rules.LocationKey(where) {
			continue
		}
		g := byKey[it.Key.Location]
		if g == nil {
			g = &group{name: cmp.Or(it.Location, it.Key.Location)}
			byKey[it.Key.Location] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, it)
		total++
	}
	if total == 0 {
		if where != "" {
			return fmt.Sprintf("Nothing is open at *%s*: every difference from the balances posted here is resolved or dismissed, or none was found. `/balance open` lists every location's.", esc(where))
		}
		return "Nothing is open here: every difference from the balances posted in this channel is resolved or dismissed. Open items come from the balances I post; drop the week's exports to make one."
	}
	// The location with the most open items first; a tie by name.
	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(len(b.items), len(a.items)), cmp.Compare(a.name, b.name))
	})
	var b strings.Builder
	fmt.Fprintf(&b, "*Open items: %d*, oldest first. Each balance that covers an item's date resolves it once the visit matches.", total)
	for _, g := range groups {
		rules.SortOldest(g.items)
		fmt.Fprintf(&b, "\n\n*%s* · %d open · oldest %s", esc(g.name), len(g.items), days(g.items[0].Age(today)))
		for i, it := range g.items {
			if i == maxItemsPerLocation {
				fmt.Fprintf(&b, "\n…and %d more: the thread and the CSV of the latest balance list every one.", len(g.items)-i)
				break
			}
			b.WriteString("\n• " + itemLine(it, today, full))
		}
	}
	return b.String()
}

// ItemLine is one open item on one line, as /balance open lists it.
func (BlockKit) ItemLine(it *rules.Item, today rules.Date, full bool) string {
	return itemLine(it, today, full)
}

// itemLine is one open item: "9 days · EMR only · Tue 11/17 · R.L. · Held
// on Billing Exceptions · assigned to @someone".
func itemLine(it *rules.Item, today rules.Date, full bool) string {
	parts := []string{days(it.Age(today)), SideLabel(it.Key.Side), DayLabel(it.Key.DateOfService),
		esc(Patient(it.Mismatch, full)), it.Reason.Title()}
	if it.State == rules.ItemFixed {
		by := ""
		for _, c := range it.Trail {
			if c.What == rules.ChangeFixed {
				by = " by <@" + c.By + ">"
			}
		}
		parts = append(parts, "_marked fixed"+by+": the next balance confirms it_")
	}
	if it.Assignee != "" {
		parts = append(parts, "assigned to <@"+it.Assignee+">")
	}
	return strings.Join(parts, " · ")
}

func days(n int) string {
	switch n {
	case 0:
		return "new today"
	case 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// maxItemButtons bounds the items given buttons in one balance's thread:
// each takes two blocks, and a week with hundreds of differences is worked
// from /balance open and the CSV before buttons help.
const maxItemButtons = 60

// ItemActionID is the action_id of an item's button or select (workflow.md):
// item_fixed, item_dismiss, item_assign.
func ItemActionID(a rules.ActionKind) string { return "item_" + string(a) }

// ItemBlocks renders one item in a thread: its line, with its state and
// assignee, as a section whose block_id is "item:ID", and, while it is
// open, its actions ("item-actions:ID"): Fixed (until marked fixed),
// Dismiss… (a modal asks for the note) and an assignee select. Each
// element's value is the item's id. After an act, the bot renders the item
// again and puts these two blocks in place of the old ones.
func ItemBlocks(it *rules.Item, full bool) (text *slack.SectionBlock, actions *slack.ActionBlock) {
	id := strconv.FormatInt(it.ID, 10)
	line := "• " + esc(slackLine(it.Mismatch, full))
	if it.Assignee != "" {
		line += " · assigned to <@" + it.Assignee + ">"
	}
	if last := lastChange(it, changeFor(it.State)); last != nil {
		switch it.State {
		case rules.ItemFixed:
			line += "\n_:white_check_mark: Marked fixed by <@" + last.By + ">: the next balance confirms it._"
		case rules.ItemDismissed:
			line += "\n_:no_entry_sign: Dismissed by <@" + last.By + ">: " + esc(clip(it.Note, 300)) + "_"
		case rules.ItemResolved:
			line += "\n_:white_check_mark: Resolved by a later balance._"
		}
	}
	text = slack.NewSectionBlock(mrkdwn(line), nil, nil, slack.SectionBlockOptionBlockID("item:"+id))
	if !it.State.IsOpen() {
		return text, nil
	}
	var elems []slack.BlockElement
	if it.State != rules.ItemFixed {
		elems = append(elems, slack.NewButtonBlockElement(ItemActionID(rules.ActFixed), id, plain("Fixed", 75)).WithStyle(slack.StylePrimary))
	}
	elems = append(elems, slack.NewButtonBlockElement(ItemActionID(rules.ActDismiss), id, plain("Dismiss…", 75)))
	assign := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Assign", 150), ItemActionID(rules.ActAssign))
	if it.Assignee != "" {
		assign.InitialUser = it.Assignee
	}
	elems = append(elems, assign)
	return text, slack.NewActionBlock("item-actions:"+id, elems...)
}

func changeFor(s rules.ItemState) rules.ChangeKind {
	switch s {
	case rules.ItemFixed:
		return rules.ChangeFixed
	case rules.ItemDismissed:
		return rules.ChangeDismissed
	}
	return ""
}

// lastChange is the item's latest change of kind what; for "" the latest
// change that closed it (resolved or confirmed).
func lastChange(it *rules.Item, what rules.ChangeKind) *rules.Change {
	for i := len(it.Trail) - 1; i >= 0; i-- {
		c := &it.Trail[i]
		if c.What == what || what == "" && (c.What == rules.ChangeResolved || c.What == rules.ChangeConfirmed) {
			return c
		}
	}
	return nil
}

// DismissCallbackID is the dismiss modal's callback_id; DismissNoteBlock
// and DismissNoteAction name its note input.
const (
	DismissCallbackID = "item_dismiss"
	DismissNoteBlock  = "note"
	DismissNoteAction = "note"
)

// DismissModal is the modal that asks for a dismissal's note
// (workflow.md): which item, why a note, and the note, required.
// private carries what the bot needs back on submit.
func DismissModal(it *rules.Item, full bool, private string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("Self-pay patient created in billing only", 150), DismissNoteAction)
	input.Multiline = true
	input.MaxLength = rules.MaxNoteLen
	note := slack.NewInputBlock(DismissNoteBlock, plain("Why it needs no action", 2000), nil, input)
	intro := "*" + esc(cmp.Or(it.Location, it.Key.Location)) + "* · " + esc(slackLine(it.Mismatch, full)) +
		"\nDismissing says this difference needs no action. It stays listed as dismissed, and the note is kept in its audit trail."
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      DismissCallbackID,
		Title:           plain("Dismiss a difference", 24),
		Submit:          plain("Dismiss", 24),
		Close:           plain("Cancel", 24),
		PrivateMetadata: private,
		Blocks:          slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn(intro), nil, nil), note}},
	}
}

// DismissModal is DismissModal, for the bot's Renderer.
func (BlockKit) DismissModal(it *rules.Item, full bool, private string) slack.ModalViewRequest {
	return DismissModal(it, full, private)
}
