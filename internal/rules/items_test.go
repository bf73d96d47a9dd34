package rules

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The ledger's rules, case by case, as workflow.md states them.

var (
	week1 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	week2 = week1.AddDate(0, 0, 7)
)

func mis(side Side, name string, dos Date, r Reason) Mismatch {
	return Mismatch{Side: side, Patient: name, DateOfService: dos, Reason: r, NeedsAction: r.NeedsAction()}
}

func result(p Period, locs ...Location) *Result {
	return &Result{From: p.From, To: p.To, Locations: locs}
}

func at(name string, ms ...Mismatch) Location {
	return Location{Location: name, Mismatches: ms}
}

// held is an item a week-1 balance created, then put in state s.
func held(location string, m Mismatch, s ItemState) *Item {
	it := &Item{Key: ItemKeyOf(location, &m), Reason: m.Reason, Mismatch: m, FirstSeen: DateOfTime(week1), LastSeen: DateOfTime(week1)}
	it.Trail = []Change{{At: week1, By: "balance:1", What: ChangeCreated, To: ItemOpen, Reason: m.Reason}}
	it.State = s
	if !s.IsOpen() {
		it.Closed = week1
		it.Trail = append(it.Trail, Change{At: week1, By: "U1", What: ChangeKind(s), From: ItemOpen, To: s})
	}
	return it
}

func balance(r *Result) Balance {
	return Balance{By: "balance:2", At: week2, Day: DateOfTime(week2), Result: r}
}

func TestReevaluate(t *testing.T) {
	week := Period{From: d(16), To: d(20)}
	ann := mis(SideEMR, "Ann Lee", d(17), ReasonUnexplained)
	bob := mis(SideBilling, "Bob Ray", d(18), ReasonDuplicate)
	type want struct {
		state ItemState
		what  ChangeKind // the change the balance recorded; "" for none
	}
	for _, c := range []struct {
		name  string
		items []*Item
		r     *Result
		want  []want // per item given
		tally LocationItems
		made  int // items created
	}{
		{
			name:  "a needs-action mismatch makes an item",
			r:     result(week, at("Main", ann, mis(SideEMR, "Cy Do", d(17), ReasonNORCM))),
			tally: LocationItems{Location: "Main", Open: 1, New: 1},
			made:  1,
		},
		{
			name:  "still shown, same reason: open, nothing recorded",
			items: []*Item{held("Main", ann, ItemOpen)},
			r:     result(week, at("Main", ann)),
			want:  []want{{ItemOpen, ""}},
			tally: LocationItems{Location: "Main", Open: 1},
		},
		{
			name:  "still shown for another reason: open, the reason recorded",
			items: []*Item{held("Main", ann, ItemOpen)},
			r:     result(week, at("Main", mis(SideEMR, "Ann Lee", d(17), ReasonBillingException))),
			want:  []want{{ItemOpen, ChangeReason}},
			tally: LocationItems{Location: "Main", Open: 1},
		},
		{
			name:  "matched now: resolved",
			items: []*Item{held("Main", ann, ItemOpen)},
			r:     result(week, at("Main")),
			want:  []want{{ItemResolved, ChangeResolved}},
			tally: LocationItems{Location: "Main", Resolved: 1, Balanced: true},
		},
		{
			name:  "no longer needs action: resolved",
			items: []*Item{held("Main", ann, ItemOpen)},
			r:     result(week, at("Main", mis(SideEMR, "Ann Lee", d(17), ReasonNORCM))),
			want:  []want{{ItemResolved, ChangeResolved}},
			tally: LocationItems{Location: "Main", Resolved: 1, Balanced: true},
		},
		{
			name:  "fixed and gone: confirmed",
			items: []*Item{held("Main", ann, ItemFixed)},
			r:     result(week, at("Main")),
			want:  []want{{ItemResolved, ChangeConfirmed}},
			tally: LocationItems{Location: "Main", Resolved: 1, Confirmed: 1, Balanced: true},
		},
		{
			name:  "fixed and still shown: reopened",
			items: []*Item{held("Main", ann, ItemFixed)},
			r:     result(week, at("Main", ann)),
			want:  []want{{ItemOpen, ChangeReopened}},
			tally: LocationItems{Location: "Main", Open: 1, Reopened: 1},
		},
		{
			name:  "resolved and shown again: reopened, not a second item",
			items: []*Item{held("Main", ann, ItemResolved)},
			r:     result(week, at("Main", ann)),
			want:  []want{{ItemOpen, ChangeReopened}},
			tally: LocationItems{Location: "Main", Open: 1, Reopened: 1},
		},
		{
			name:  "dismissed and shown: stays dismissed, and explains the location",
			items: []*Item{held("Main", ann, ItemDismissed)},
			r:     result(week, at("Main", ann)),
			want:  []want{{ItemDismissed, ""}},
			tally: LocationItems{Location: "Main", Dismissed: 1, Balanced: true},
		},
		{
			name:  "dismissed, with another item open: not balanced",
			items: []*Item{held("Main", ann, ItemDismissed)},
			r:     result(week, at("Main", ann, bob)),
			want:  []want{{ItemDismissed, ""}},
			tally: LocationItems{Location: "Main", Open: 1, New: 1, Dismissed: 1},
			made:  1,
		},
		{
			name:  "date of service outside the period: left open, counted",
			items: []*Item{held("Main", mis(SideEMR, "Ann Lee", d(9), ReasonUnexplained), ItemOpen)},
			r:     result(week, at("Main")),
			want:  []want{{ItemOpen, ""}},
			tally: LocationItems{Location: "Main", Open: 1, Balanced: true},
		},
		{
			name:  "another location: left alone, not counted",
			items: []*Item{held("Uptown", ann, ItemOpen)},
			r:     result(week, at("Main")),
			want:  []want{{ItemOpen, ""}},
			tally: LocationItems{Location: "Main", Balanced: true},
		},
		{
			name:  "the location written otherwise is the same location",
			items: []*Item{held("MAIN", ann, ItemOpen)},
			r:     result(week, at("Main")),
			want:  []want{{ItemResolved, ChangeResolved}},
			tally: LocationItems{Location: "Main", Resolved: 1, Balanced: true},
		},
		{
			name:  "the other side's visit is another item",
			items: []*Item{held("Main", ann, ItemOpen)},
			r:     result(week, at("Main", mis(SideBilling, "Ann Lee", d(17), ReasonUnexplained))),
			want:  []want{{ItemResolved, ChangeResolved}},
			tally: LocationItems{Location: "Main", Open: 1, New: 1, Resolved: 1},
			made:  1,
		},
		{
			name: "the same id under another spelling is the same item",
			items: []*Item{held("Main", Mismatch{Side: SideEMR, Patient: "Ann Lee", PatientID: "00123",
				DateOfService: d(17), Reason: ReasonUnexplained, NeedsAction: true}, ItemOpen)},
			r: result(week, at("Main", Mismatch{Side: SideEMR, Patient: "Anne Lee-Smith", PatientID: "123",
				DateOfService: d(17), Reason: ReasonUnexplained, NeedsAction: true})),
			want:  []want{{ItemOpen, ""}},
			tally: LocationItems{Location: "Main", Open: 1},
		},
		{
			name: "ids one week, names only the next: the same item",
			items: []*Item{held("Main", Mismatch{Side: SideEMR, Patient: "Ann Lee", PatientID: "123",
				DateOfService: d(17), Reason: ReasonUnexplained, NeedsAction: true}, ItemOpen)},
			r:     result(week, at("Main", ann)),
			want:  []want{{ItemOpen, ""}},
			tally: LocationItems{Location: "Main", Open: 1},
		},
		{
			name:  "a day's visit with no patient (per-day billing) is found again",
			items: []*Item{held("Main", mis(SideBilling, "", d(18), ReasonUnexplained), ItemOpen)},
			r:     result(week, at("Main", mis(SideBilling, "", d(18), ReasonUnexplained))),
			want:  []want{{ItemOpen, ""}},
			tally: LocationItems{Location: "Main", Open: 1},
		},
		{
			name:  "two mismatches of one item: one item",
			r:     result(week, at("Main", bob, bob)),
			tally: LocationItems{Location: "Main", Open: 1, New: 1},
			made:  1,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			trails := make([]int, len(c.items))
			for i, it := range c.items {
				trails[i] = len(it.Trail)
			}
			b := balance(c.r)
			b.Owners = map[string][]string{"main": {"UOWNER", "U2"}}
			re := Reevaluate(c.items, b)
			c.tally.Owners = []string{"UOWNER", "U2"}
			if len(re.Locations) != 1 || !reflect.DeepEqual(re.Locations[0], c.tally) {
				t.Errorf("tally = %+v, want %+v", re.Locations, c.tally)
			}
			for i, it := range c.items {
				w := c.want[i]
				if it.State != w.state {
					t.Errorf("item %d: state %s, want %s", i, it.State, w.state)
				}
				var got ChangeKind
				switch n := len(it.Trail) - trails[i]; n {
				case 0:
				case 1:
					got = it.Trail[len(it.Trail)-1].What
					if c := it.Trail[len(it.Trail)-1]; c.By != "balance:2" || !c.At.Equal(week2) {
						t.Errorf("item %d: change by %s at %v, want the balance's", i, c.By, c.At)
					}
				default:
					t.Fatalf("item %d: %d changes recorded, want at most 1", i, n)
				}
				if got != w.what {
					t.Errorf("item %d: recorded %q, want %q", i, got, w.what)
				}
				if it.State == ItemResolved && !it.Closed.Equal(week2) {
					t.Errorf("item %d: closed %v, want the balance's time", i, it.Closed)
				}
				if it.State.IsOpen() && !it.Closed.IsZero() {
					t.Errorf("item %d: open, yet closed at %v", i, it.Closed)
				}
			}
			var made []*Item
			for _, it := range re.Changed {
				if !slices.Contains(c.items, it) {
					made = append(made, it)
				}
			}
			if len(made) != c.made {
				t.Fatalf("%d items made, want %d", len(made), c.made)
			}
			for _, it := range made {
				if it.State != ItemOpen || it.FirstSeen != DateOfTime(week2) || it.Assignee != "UOWNER" ||
					len(it.Trail) != 1 || it.Trail[0].What != ChangeCreated || it.Trail[0].From != "" {
					t.Errorf("made %+v: want open, first seen on the balance's day, the owner assigned, one 'created'", it)
				}
			}
		})
	}
}

// A balance applied twice changes nothing the second time: a retried
// upload records no second trail line.
func TestReevaluateTwiceIsOnce(t *testing.T) {
	week := Period{From: d(16), To: d(20)}
	items := []*Item{
		held("Main", mis(SideEMR, "Ann Lee", d(17), ReasonUnexplained), ItemFixed),
		held("Main", mis(SideEMR, "Bob Ray", d(18), ReasonUnexplained), ItemOpen),
		held("Main", mis(SideEMR, "Cy Do", d(19), ReasonUnexplained), ItemDismissed),
	}
	r := result(week, at("Main", mis(SideEMR, "Ann Lee", d(17), ReasonUnexplained), mis(SideEMR, "Cy Do", d(19), ReasonUnexplained),
		mis(SideBilling, "Di Ng", d(20), ReasonDuplicate)))
	first := Reevaluate(items, balance(r))
	for _, it := range first.Changed {
		if !slices.Contains(items, it) {
			items = append(items, it)
		}
	}
	before, _ := json.Marshal(items)
	second := Reevaluate(items, balance(r))
	after, _ := json.Marshal(items)
	if string(before) != string(after) {
		t.Errorf("the second balance changed the items:\n%s\n%s", before, after)
	}
	want := LocationItems{Location: "Main", Open: 2, Dismissed: 1}
	if !reflect.DeepEqual(second.Locations[0], want) {
		t.Errorf("second tally = %+v, want %+v", second.Locations[0], want)
	}
}

func TestApply(t *testing.T) {
	ann := mis(SideEMR, "Ann Lee", d(17), ReasonUnexplained)
	act := func(k ActionKind, note, who string) Action {
		return Action{Kind: k, By: "U7", At: week2, Note: note, Assignee: who}
	}
	for _, c := range []struct {
		name    string
		state   ItemState
		assign  string
		a       Action
		changed bool
		err     string // in the message; "" for none
		want    ItemState
	}{
		{"fixed", ItemOpen, "", act(ActFixed, "", ""), true, "", ItemFixed},
		{"fixed twice", ItemFixed, "", act(ActFixed, "", ""), false, "", ItemFixed},
		{"dismissed with a note", ItemOpen, "", act(ActDismiss, "  self-pay, billing only ", ""), true, "", ItemDismissed},
		{"a fixed item dismissed", ItemFixed, "", act(ActDismiss, "not ours", ""), true, "", ItemDismissed},
		{"dismissed without a note", ItemOpen, "", act(ActDismiss, "   ", ""), false, "needs a note", ItemOpen},
		{"a note too long", ItemOpen, "", act(ActDismiss, strings.Repeat("é", MaxNoteLen+1), ""), false, "longer than 500", ItemOpen},
		{"a note just short enough", ItemOpen, "", act(ActDismiss, strings.Repeat("é", MaxNoteLen), ""), true, "", ItemDismissed},
		{"assigned", ItemOpen, "", act(ActAssign, "", "U9"), true, "", ItemOpen},
		{"assigned again to the same", ItemOpen, "U9", act(ActAssign, "", "U9"), false, "", ItemOpen},
		{"unassigned", ItemFixed, "U9", act(ActAssign, "", ""), true, "", ItemFixed},
		{"fixed when resolved", ItemResolved, "", act(ActFixed, "", ""), false, "it was resolved by U1", ItemResolved},
		{"assigned when dismissed", ItemDismissed, "", act(ActAssign, "", "U9"), false, "it was dismissed by U1", ItemDismissed},
		{"an unknown act", ItemOpen, "", act("escalate", "", ""), false, "unknown action", ItemOpen},
	} {
		t.Run(c.name, func(t *testing.T) {
			it := held("Main", ann, c.state)
			it.Assignee = c.assign
			n := len(it.Trail)
			changed, err := it.Apply(c.a)
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("err = %v, want %q", err, c.err)
			}
			if changed != c.changed || it.State != c.want {
				t.Fatalf("changed %v, state %s; want %v, %s", changed, it.State, c.changed, c.want)
			}
			if !changed {
				if len(it.Trail) != n {
					t.Fatalf("nothing changed, yet %d trail lines were added", len(it.Trail)-n)
				}
				return
			}
			if len(it.Trail) != n+1 {
				t.Fatalf("%d trail lines added, want 1", len(it.Trail)-n)
			}
			last := it.Trail[n]
			if last.By != "U7" || !last.At.Equal(week2) || last.From != c.state || last.To != it.State {
				t.Errorf("trail line %+v: want by U7 at the act's time, from %s to %s", last, c.state, it.State)
			}
			switch c.a.Kind {
			case ActDismiss:
				if note := strings.TrimSpace(c.a.Note); it.Note != note || last.Note != note || !it.Closed.Equal(week2) {
					t.Errorf("dismissed: note %q (trail %q), closed %v; want %q, closed at the act", it.Note, last.Note, it.Closed, note)
				}
			case ActAssign:
				if it.Assignee != c.a.Assignee || last.Assignee != c.a.Assignee {
					t.Errorf("assignee %q (trail %q), want %q", it.Assignee, last.Assignee, c.a.Assignee)
				}
			}
		})
	}
}

func TestPurge(t *testing.T) {
	m := Mismatch{Side: SideEMR, Patient: "Ann Lee", PatientID: "P-889", Account: "A-17", DateOfService: d(17),
		Reason: ReasonUnexplained, NeedsAction: true, Provider: "Dr Who", Note: "Held", OtherPatient: "Anne Lee"}
	it := held("Main", m, ItemOpen)
	if _, err := it.Apply(Action{Kind: ActDismiss, By: "U7", At: week2, Note: "Ann Lee pays herself"}); err != nil {
		t.Fatal(err)
	}
	if it.Purgeable(week2) || !it.Purgeable(week2.Add(time.Second)) {
		t.Fatalf("purgeable: closed at %v, want purgeable only after", it.Closed)
	}
	if open := held("Main", m, ItemFixed); open.Purgeable(week2.AddDate(1, 0, 0)) {
		t.Fatal("an open item is purgeable")
	}
	n := len(it.Trail)
	it.Purge(week2.AddDate(0, 1, 0))
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	for _, phi := range []string{"Ann", "Lee", "annlee", "889", "A-17", "Dr Who", "Held"} {
		if strings.Contains(string(b), phi) {
			t.Errorf("the purged item keeps %q: %s", phi, b)
		}
	}
	if it.State != ItemDismissed || it.Key.Location != "main" || it.Key.DateOfService != d(17) || len(it.Trail) != n+1 ||
		it.Trail[n].What != ChangePurged || it.Trail[n-1].By != "U7" {
		t.Errorf("the purged item lost its audit: %s", b)
	}
}

func TestSortOldest(t *testing.T) {
	mk := func(first int, loc string, dos int) *Item {
		return &Item{FirstSeen: d(first), Key: ItemKey{Location: loc, DateOfService: d(dos)}}
	}
	items := []*Item{mk(20, "a", 18), mk(6, "b", 2), mk(6, "a", 3), mk(6, "a", 1), mk(13, "a", 9)}
	SortOldest(items)
	var got []string
	for _, it := range items {
		got = append(got, it.FirstSeen.String()[5:]+" "+it.Key.Location+" "+it.Key.DateOfService.String()[5:])
	}
	want := []string{"11-06 a 11-01", "11-06 a 11-03", "11-06 b 11-02", "11-13 a 11-09", "11-20 a 11-18"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	if age := items[0].Age(d(20)); age != 14 {
		t.Errorf("age = %d, want 14", age)
	}
}
