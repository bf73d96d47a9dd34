package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/balancebot/balancebot/internal/golden"
	"github.com/balancebot/balancebot/internal/rules"
)

// ledger makes open items at three locations, first seen over three
// weeks; one is marked fixed, one assigned, one dismissed (and left out).
func ledger() []*rules.Item {
	today := rules.DateOf(2026, 11, 30)
	mk := func(loc string, age int, m rules.Mismatch) *rules.Item {
		m.NeedsAction = true
		return &rules.Item{Key: rules.ItemKeyOf(loc, &m), Location: loc, State: rules.ItemOpen, Reason: m.Reason, Mismatch: m,
			FirstSeen: today.AddDays(-age)}
	}
	emr := func(name string, dos int, r rules.Reason) rules.Mismatch {
		return rules.Mismatch{Side: rules.SideEMR, Patient: name, DateOfService: rules.DateOf(2026, 11, dos), Reason: r}
	}
	items := []*rules.Item{
		mk("Downtown", 7, emr("Ramirez, Luis", 19, rules.ReasonBillingException)),
		mk("Downtown", 14, emr("Patel, Anika", 13, rules.ReasonNotRebilled)),
		mk("Downtown", 0, rules.Mismatch{Side: rules.SideBilling, Patient: "CHEN, WEI", Account: "10830",
			DateOfService: rules.DateOf(2026, 11, 24), Reason: rules.ReasonUnexplained}),
		mk("Uptown", 1, emr("Kowalski, Adam", 25, rules.ReasonDOSMismatch)),
		mk("Eastside", 21, emr("Brooks, Ray", 6, rules.ReasonUnexplained)),
		mk("Eastside", 21, emr("Hughes, Mae", 6, rules.ReasonUnexplained)),
	}
	items[0].State = rules.ItemFixed
	items[0].Trail = []rules.Change{{By: "balance", What: rules.ChangeCreated}, {By: "UBILLER", What: rules.ChangeFixed}}
	items[1].Assignee = "UFRONTDESK"
	items[5].State = rules.ItemDismissed
	return items
}

func TestGoldenOpenItems(t *testing.T) {
	today := rules.DateOf(2026, 11, 30)
	all := BlockKit{}.OpenItems(ledger(), "", today, false)
	golden.Check(t, "open-items.txt", []byte(all+"\n"))
	for _, name := range []string{"Ramirez", "Patel", "CHEN", "Kowalski", "Brooks", "Hughes", "10830"} {
		if strings.Contains(all, name) {
			t.Errorf("masked, yet the list shows %q", name)
		}
	}
	if strings.Contains(all, "H.M.") {
		t.Error("a dismissed item is listed as open")
	}
	one := BlockKit{}.OpenItems(ledger(), "UPTOWN", today, false)
	if !strings.Contains(one, "*Open items: 1*") || strings.Contains(one, "Downtown") {
		t.Errorf("one location:\n%s", one)
	}
	if none := (BlockKit{}).OpenItems(ledger(), "Westside", today, false); !strings.Contains(none, "Nothing is open at *Westside*") {
		t.Errorf("a location without items:\n%s", none)
	}
	if full := (BlockKit{}).OpenItems(ledger(), "Downtown", today, true); !strings.Contains(full, "Ramirez, Luis") {
		t.Errorf("full names:\n%s", full)
	}
}

// A long list is cut per location, and says where the rest is.
func TestOpenItemsCut(t *testing.T) {
	var items []*rules.Item
	for i := range maxItemsPerLocation + 7 {
		m := rules.Mismatch{Side: rules.SideEMR, Patient: fmt.Sprintf("Person%d, Pat", i), DateOfService: rules.DateOf(2026, 11, 2+i%20),
			Reason: rules.ReasonUnexplained, NeedsAction: true}
		items = append(items, &rules.Item{Key: rules.ItemKeyOf("Downtown", &m), Location: "Downtown", State: rules.ItemOpen,
			Reason: m.Reason, Mismatch: m, FirstSeen: rules.DateOf(2026, 11, 2)})
	}
	got := BlockKit{}.OpenItems(items, "", rules.DateOf(2026, 11, 30), false)
	if n := strings.Count(got, "\n• "); n != maxItemsPerLocation || !strings.Contains(got, "…and 7 more") ||
		!strings.Contains(got, "*Open items: 32*") {
		t.Errorf("%d lines listed:\n%s", n, got)
	}
}
