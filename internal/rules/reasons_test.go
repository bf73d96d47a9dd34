package rules

import (
	"slices"
	"testing"
)

func TestEMRReasonPrecedence(t *testing.T) {
	// Each case holds everything that applies to a visit; the first reason
	// in result.md's order wins.
	for _, c := range []struct {
		name string
		f    EMRFacts
		want Reason
	}{
		{"nothing applies", EMRFacts{}, ""},
		{"NORCM beats everything", EMRFacts{Flags: FlagNORCM | FlagNoCharge | FlagDoNotBill, InDocumentedUnits: true, Billed: 1, Exception: true, Claims: FlagNotSent}, ReasonNORCM},
		{"NC001 beats Do Not Bill", EMRFacts{Flags: FlagNoCharge | FlagDoNotBill, Billed: 1}, ReasonNoCharge},
		{"Do Not Bill beats 0 units", EMRFacts{Flags: FlagDoNotBill, InDocumentedUnits: true}, ReasonDoNotBill},
		{"listed without billed units is 0 units", EMRFacts{InDocumentedUnits: true, Billed: 1, Exception: true}, ReasonZeroUnits},
		{"listed with billed units is not 0 units", EMRFacts{Flags: FlagBilledUnits, InDocumentedUnits: true}, ""},
		{"billed units alone say nothing", EMRFacts{Flags: FlagBilledUnits}, ""},
		{"same day beats an exception", EMRFacts{Billed: 2, Exception: true}, ReasonSameDay},
		{"exception beats the Claims Feed", EMRFacts{Exception: true, Claims: FlagNotRebilled | FlagNotSent}, ReasonBillingException},
		{"Not Re-Billed beats Not Sent", EMRFacts{Claims: FlagNotRebilled | FlagNotSent}, ReasonNotRebilled},
		{"Not Sent", EMRFacts{Claims: FlagNotSent}, ReasonNotSent},
	} {
		if got := EMRReason(c.f); got != c.want {
			t.Errorf("%s: EMRReason(%+v) = %q, want %q", c.name, c.f, got, c.want)
		}
	}
}

func TestPairDOSAndSettle(t *testing.T) {
	d := func(n int) Date { return DateOf(2026, 11, n) }
	pend := func(side Side, who string, day int, emrCount int) Pending[string] {
		return Pending[string]{Mismatch: Mismatch{Side: side, DateOfService: d(day)}, Who: who, EMRCount: emrCount, Pairable: true}
	}
	ms := []Pending[string]{
		pend(SideEMR, "smith|john", 17, 1),     // 0: pairs with 2 (1 day) before 3 (3 days)
		pend(SideEMR, "smith|john", 10, 1),     // 1: 8 days from 2, 10 days from 3: outside the window
		pend(SideBilling, "smith|john", 18, 0), // 2
		pend(SideBilling, "smith|john", 20, 0), // 3: its partner is taken
		pend(SideBilling, "doe|jane", 17, 1),   // 4: another patient's: never paired with 0
		pend(SideBilling, "", 17, 0),           // 5: no patient: never paired
		{Mismatch: Mismatch{Side: SideEMR, DateOfService: d(19), Reason: ReasonNORCM}, Who: "smith|john"}, // 6: explained
	}
	PairDOS(ms)
	want := []struct {
		reason Reason
		other  Date
	}{
		{ReasonDOSMismatch, d(18)},
		{ReasonUnexplained, 0},
		{ReasonDOSMismatch, d(17)},
		{ReasonUnexplained, 0},
		{ReasonDuplicate, 0}, // billing beyond the EMR's count for a key the EMR has
		{ReasonUnexplained, 0},
		{ReasonNORCM, 0},
	}
	for i, w := range want {
		m := Settle(ms[i])
		if m.Reason != w.reason || m.OtherDate != w.other || m.NeedsAction != w.reason.NeedsAction() {
			t.Errorf("mismatch %d: %s other %s needs action %v, want %s other %s", i, m.Reason, m.OtherDate, m.NeedsAction, w.reason, w.other)
		}
	}
}

func TestSortMismatchesIsTotal(t *testing.T) {
	d := DateOf(2026, 11, 16)
	a := Mismatch{Side: SideBilling, Patient: "Smith, John", Account: "100", DateOfService: d, Reason: ReasonUnexplained}
	b := a
	b.Account = "200"
	c := Mismatch{Side: SideEMR, Patient: "Doe, Jane", DateOfService: d + 1, Reason: ReasonNORCM}
	for _, in := range [][]Mismatch{{a, b, c}, {b, c, a}, {c, b, a}} {
		SortMismatches(in)
		if in[0] != c || in[1] != a || in[2] != b {
			t.Errorf("order depends on the input: %+v", in)
		}
	}
}

func TestExtraVisits(t *testing.T) {
	a := func(acct string, n int) AccountVisits { return AccountVisits{acct, n} }
	for _, c := range []struct {
		name    string
		accts   []AccountVisits
		matched int
		mixed   bool
		want    []Extra
	}{
		{"one account twice: a duplicate", []AccountVisits{a("10031", 2)}, 1, false, []Extra{{Account: "10031"}}},
		{"no account known: a duplicate", []AccountVisits{a("", 2)}, 1, false, []Extra{{}}},
		{"another account: another patient", []AccountVisits{a("10028", 1), a("20417", 1)}, 1, true,
			[]Extra{{Account: "20417", Matched: "10028"}}},
		{"the same account spelled with a leading zero", []AccountVisits{a("10028", 1), a("010028", 1)}, 1, false, []Extra{{Account: "010028"}}},
		{"an extra without an account may be a duplicate", []AccountVisits{a("10028", 1), a("", 1), a("20417", 1)}, 1, true,
			[]Extra{{}, {Account: "20417", Matched: "10028"}}},
		{"one matched of two under the same account, one other", []AccountVisits{a("10028", 2), a("20417", 1)}, 1, true,
			[]Extra{{Account: "10028"}, {Account: "20417", Matched: "10028"}}},
	} {
		if got := MixedAccounts(c.accts); got != c.mixed {
			t.Errorf("%s: MixedAccounts = %v", c.name, got)
		}
		if got := ExtraVisits(c.accts, c.matched); !slices.Equal(got, c.want) {
			t.Errorf("%s: ExtraVisits = %+v, want %+v", c.name, got, c.want)
		}
	}
	if got := ExtraBilling([]AccountVisits{a("10028", 1), a("20417", 1)}, 2, 0); len(got) != 2 || got[0] != nil {
		t.Errorf("with nothing matched, no extra is told apart: %v", got)
	}
}

func TestNameDistance(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		close bool
	}{
		{"JOHNSON, BOB", "Johnson, Robert", true},          // a nickname pair
		{"Johnson, R.", "Johnson, Robert", true},           // an initial
		{"Lopez, Juan", "Lopez Garcia, Juan Carlos", true}, // a second surname and given name
		{"Kowalsky, Anna", "Kowalski, Anna", true},         // a typo in a long name
		{"Smith, Bill", "Smith, William", true},
		{"Smith, John", "Smith, Mary", false}, // another person in the family
		{"Roe, Rick", "Rowe, Rick", false},    // a short name: one edit is too much to guess
		{"Smith, John", "John Smith", false},  // the same name: not a mismatch
		{"", "Smith, John", false},
	} {
		if _, ok := NameDistance(c.a, c.b); ok != c.close {
			t.Errorf("NameDistance(%q, %q) close = %v, want %v", c.a, c.b, ok, c.close)
		}
	}
}
