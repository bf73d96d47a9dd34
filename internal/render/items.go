package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

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
