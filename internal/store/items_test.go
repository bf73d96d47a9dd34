package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/rules"
)

// ledgerWeek makes a result at two locations with a needs-action mismatch
// each, and the items a first balance creates from it.
func ledgerWeek(t *testing.T, now time.Time) []*rules.Item {
	t.Helper()
	r := &rules.Result{From: day(16), To: day(20), Locations: []rules.Location{
		{Location: "Downtown", Mismatches: []rules.Mismatch{{Side: rules.SideEMR, Patient: "Smith, John", PatientID: "P-77",
			DateOfService: day(17), Reason: rules.ReasonUnexplained, NeedsAction: true}}},
		{Location: "Uptown", Mismatches: []rules.Mismatch{{Side: rules.SideBilling, Patient: "Doe, Jane", Account: "A-9",
			DateOfService: day(18), Reason: rules.ReasonDuplicate, NeedsAction: true}}},
	}}
	re := rules.Reevaluate(nil, rules.Balance{By: "balance:1", At: now, Day: rules.DateOfTime(now), Result: r})
	if len(re.Changed) != 2 {
		t.Fatalf("the first balance made %d items, want 2", len(re.Changed))
	}
	return re.Changed
}

func testItemsRoundTrip(t *testing.T, e backend) {
	ctx := context.Background()
	db, now := e.openTest(t)
	items := ledgerWeek(t, *now)
	if err := db.SaveItems(ctx, "C1", items); err != nil {
		t.Fatal(err)
	}
	if items[0].ID == 0 || items[1].ID == 0 || items[0].ID == items[1].ID {
		t.Fatalf("ids %d, %d: want two distinct ids", items[0].ID, items[1].ID)
	}
	got, err := db.Items(ctx, "C1")
	if err != nil || len(got) != 2 {
		t.Fatalf("items: %v, %d", err, len(got))
	}
	for i := range got {
		if got[i].ID != items[i].ID || got[i].Key != items[i].Key || got[i].State != rules.ItemOpen ||
			got[i].Mismatch.Patient != items[i].Mismatch.Patient || len(got[i].Trail) != 1 || !got[i].Trail[0].At.Equal(*now) {
			t.Errorf("item %d read back as %+v, want %+v", i, got[i], items[i])
		}
	}
	if up, _ := db.Items(ctx, "C1", "UPTOWN"); len(up) != 1 || up[0].Key.Location != "uptown" {
		t.Errorf("items at Uptown: %+v", up)
	}
	if other, _ := db.Items(ctx, "C2"); len(other) != 0 {
		t.Errorf("another channel sees %d items", len(other))
	}

	// A second balance resolves one and keeps the other; saving writes
	// over, adding nothing.
	*now = now.Add(7 * 24 * time.Hour)
	r := &rules.Result{From: day(16), To: day(20), Locations: []rules.Location{{Location: "Downtown"}, {Location: "Uptown",
		Mismatches: []rules.Mismatch{items[1].Mismatch}}}}
	re := rules.Reevaluate(got, rules.Balance{By: "balance:2", At: *now, Day: rules.DateOfTime(*now), Result: r})
	if err := db.SaveItems(ctx, "C1", re.Changed); err != nil {
		t.Fatal(err)
	}
	again, _ := db.Items(ctx, "C1")
	if len(again) != 2 || again[0].State != rules.ItemResolved || again[1].State != rules.ItemOpen || !again[0].Closed.Equal(*now) {
		t.Errorf("after the second balance: %+v", again)
	}

	// An item of another channel cannot be written over from this one.
	stray := *again[1]
	if err := db.SaveItems(ctx, "C2", []*rules.Item{&stray}); err == nil {
		t.Error("saved channel C1's item from channel C2")
	}
}

func testUpdateItem(t *testing.T, e backend) {
	ctx := context.Background()
	db, now := e.openTest(t)
	items := ledgerWeek(t, *now)
	if err := db.SaveItems(ctx, "C1", items); err != nil {
		t.Fatal(err)
	}
	id := items[0].ID

	// Two people act at once: both acts are kept.
	var wg sync.WaitGroup
	for _, a := range []rules.Action{{Kind: rules.ActFixed, By: "U1", At: *now}, {Kind: rules.ActAssign, By: "U2", At: *now, Assignee: "U3"}} {
		wg.Go(func() {
			if _, err := db.UpdateItem(ctx, "C1", id, func(it *rules.Item) error { _, err := it.Apply(a); return err }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := db.Items(ctx, "C1", "Downtown")
	if len(got) != 1 || got[0].State != rules.ItemFixed || got[0].Assignee != "U3" || len(got[0].Trail) != 3 {
		t.Fatalf("after two acts: %+v", got)
	}

	// A refused act writes nothing.
	_, err := db.UpdateItem(ctx, "C1", id, func(it *rules.Item) error {
		it.Assignee = "U9"
		_, err := it.Apply(rules.Action{Kind: rules.ActDismiss, By: "U1", At: *now})
		return err
	})
	if rules.ErrorCode(err) != rules.EInvalid {
		t.Fatalf("a dismissal without a note: %v", err)
	}
	if got, _ := db.Items(ctx, "C1", "Downtown"); got[0].Assignee != "U3" {
		t.Errorf("a refused act was written: assignee %q", got[0].Assignee)
	}

	// No such item, or another channel's: not found, in words.
	for _, c := range []struct {
		channel string
		id      int64
	}{{"C1", id + 100}, {"C2", id}} {
		_, err := db.UpdateItem(ctx, c.channel, c.id, func(*rules.Item) error { return errors.New("called") })
		if rules.ErrorCode(err) != rules.ENotFound || !strings.Contains(rules.ErrorMessage(err), "no longer in the ledger") {
			t.Errorf("%s item %d: %v", c.channel, c.id, err)
		}
	}
}

// Closed items past the retention period keep their audit and lose their
// patients, in the file itself; open ones keep everything.
func testItemsPurged(t *testing.T, e backend) {
	ctx := context.Background()
	db, now := e.openTest(t)
	items := ledgerWeek(t, *now)
	if _, err := items[0].Apply(rules.Action{Kind: rules.ActDismiss, By: "U1", At: *now, Note: "Smith pays himself"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveItems(ctx, "C1", items); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(40 * 24 * time.Hour)
	if _, err := db.Purge(ctx, now.Add(-35*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Items(ctx, "C1")
	if len(got) != 2 {
		t.Fatalf("%d items after the purge, want both kept", len(got))
	}
	purged, open := got[0], got[1]
	if purged.State != rules.ItemDismissed || purged.Key.Location != "downtown" || purged.Trail[len(purged.Trail)-1].What != rules.ChangePurged ||
		purged.Trail[1].By != "U1" {
		t.Errorf("the purged item lost its audit: %+v", purged)
	}
	if open.Mismatch.Patient != "Doe, Jane" {
		t.Errorf("the open item lost its patient: %+v", open.Mismatch)
	}
	// On SQLite, the file itself is read back. (On PostgreSQL, VACUUM
	// marks the space reusable; the rows are gone, as checked above.)
	for _, p := range sqliteFiles(db) {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, phi := range []string{"Smith", "P-77", "pays himself"} {
			if strings.Contains(string(data), phi) {
				t.Errorf("%q is still in %s", phi, filepath.Base(p))
			}
		}
		if p == db.path && !strings.Contains(string(data), "Doe, Jane") {
			t.Errorf("the open item is not where this test looks for data")
		}
	}
	// A second purge rewrites nothing more.
	if _, err := db.Purge(ctx, now.Add(-35*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if again, _ := db.Items(ctx, "C1"); len(again[0].Trail) != len(purged.Trail) {
		t.Errorf("purged twice: %d trail lines, then %d", len(purged.Trail), len(again[0].Trail))
	}
}

func testOpenItemAges(t *testing.T, e backend) {
	ctx := context.Background()
	db, now := e.openTest(t)
	items := ledgerWeek(t, *now) // first seen on the 23rd
	older := ledgerWeek(t, *now)
	for _, it := range older {
		it.FirstSeen = it.FirstSeen.AddDays(-40)
	}
	if _, err := older[1].Apply(rules.Action{Kind: rules.ActFixed, By: "U1", At: *now}); err != nil {
		t.Fatal(err)
	}
	if _, err := older[0].Apply(rules.Action{Kind: rules.ActDismiss, By: "U1", At: *now, Note: "billing only"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveItems(ctx, "C1", items); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveItems(ctx, "C2", older); err != nil {
		t.Fatal(err)
	}
	ages, err := db.OpenItemAges(ctx, day(30))
	slices.Sort(ages)
	if err != nil || !slices.Equal(ages, []int{7, 7, 47}) {
		t.Errorf("ages %v, %v; want two a week old and the fixed one 47 days old (the dismissed one left out)", ages, err)
	}
}
