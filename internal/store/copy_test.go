package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/pgtest"
	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

// TestCopyToPostgres copies a SQLite store holding one of everything into
// PostgreSQL: everything reads back the same, new rows are numbered after
// the copied ones, and a second copy into the same database is refused.
func TestCopyToPostgres(t *testing.T) {
	ctx := context.Background()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "balancebot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	week := rules.Period{From: day(16), To: day(20)}
	up := upload("C1", "emr", rules.KindEMRBillingReport, "Downtown", 16, 20)
	src.SaveUpload(ctx, up)
	src.SaveResult(ctx, &service.Posted{Channel: "C1", TS: "1.1", Link: "https://x/1", Period: week, Balanced: true, Locations: []string{"Downtown"}})
	src.SetReminder(ctx, "weekly", "C1", time.Unix(1764000000, 0))
	src.AddJob(ctx, &service.Job{EventID: "Ev1", Channel: "C1", Payload: []byte(`{"x":1}`)})
	src.SetLocation(ctx, "C1", service.LocationEntry{Name: "DOWNTOWN PT", Location: "Downtown", User: "U1", At: time.Unix(1764000000, 0)})
	it := &rules.Item{Key: rules.ItemKey{Location: "downtown"}, State: rules.ItemOpen, FirstSeen: day(17)}
	if err := src.SaveItems(ctx, "C1", []*rules.Item{it}); err != nil {
		t.Fatal(err)
	}
	src.SeenEnvelope(ctx, "env-1")

	dest, err := OpenPostgres(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dest.Close()
	counts, err := src.CopyTo(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.Rows != 1 {
			t.Errorf("%s: %d rows copied, want 1", c.Table, c.Rows)
		}
	}
	ups, err := dest.Uploads(ctx, "C1", week)
	if err != nil || len(ups) != 1 || ups[0].ID != up.ID || ups[0].Report.VisitCount() != 1 {
		t.Errorf("uploads: %+v %v", ups, err)
	}
	if r, err := dest.LatestResult(ctx, "C1", week); err != nil || r == nil || !r.Balanced || r.Link != "https://x/1" {
		t.Errorf("result: %+v %v", r, err)
	}
	if slot, ok, err := dest.LastReminder(ctx, "weekly", "C1"); err != nil || !ok || slot.Unix() != 1764000000 {
		t.Errorf("reminder: %v %v %v", slot, ok, err)
	}
	if jobs, err := dest.PendingJobs(ctx); err != nil || len(jobs) != 1 || string(jobs[0].Payload) != `{"x":1}` {
		t.Errorf("jobs: %+v %v", jobs, err)
	}
	if m, err := dest.Locations(ctx, "C1"); err != nil || len(m) != 1 || m[0].Location != "Downtown" {
		t.Errorf("location map: %+v %v", m, err)
	}
	if items, err := dest.Items(ctx, "C1"); err != nil || len(items) != 1 || items[0].ID != it.ID || items[0].FirstSeen != day(17) {
		t.Errorf("items: %+v %v", items, err)
	}
	if dup, err := dest.SeenEnvelope(ctx, "env-1"); err != nil || !dup {
		t.Errorf("the envelope seen was not copied: %v %v", dup, err)
	}
	// New rows are numbered after the copied ones.
	next := upload("C1", "cas", rules.KindChargeAuditSummary, "Downtown", 16, 20)
	if _, _, err := dest.SaveUpload(ctx, next); err != nil || next.ID <= up.ID {
		t.Errorf("a new upload got id %d after %d: %v", next.ID, up.ID, err)
	}
	if _, err := src.CopyTo(ctx, dest); err == nil {
		t.Error("a copy into a store that holds data was not refused")
	}
}

// TestLockChannelAcrossReplicas takes a channel's lock from two stores on
// one PostgreSQL, as two replicas do: the second waits for the first, and
// another channel's lock does not.
func TestLockChannelAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a, err := OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	unlockA, err := a.LockChannel(ctx, "C1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := b.LockChannel(ctx, "C2")
	if err != nil {
		t.Fatal(err)
	}
	other()
	got := make(chan func(), 1)
	go func() {
		unlock, err := b.LockChannel(ctx, "C1")
		if err != nil {
			t.Error(err)
		}
		got <- unlock
	}()
	// b waits on the server while a holds the lock.
	if !waitUntil(func() bool { return lockWaiters(t, a) == 1 }) {
		t.Fatal("the second replica did not wait for the lock")
	}
	select {
	case <-got:
		t.Fatal("the second replica took a lock the first holds")
	default:
	}
	unlockA()
	(<-got)()
}

// lockWaiters counts the sessions waiting for an advisory lock.
func lockWaiters(t *testing.T, db *DB) int {
	var n int
	if err := db.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitUntil polls cond for up to 10 s.
func waitUntil(cond func() bool) bool {
	for range 2000 {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}
