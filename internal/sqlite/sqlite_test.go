package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/balance"
)

// open starts a store on a real SQLite file in a temp dir, with a clock the
// test moves.
func open(t *testing.T) (*DB, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "data", "balancebot.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return now }
	t.Cleanup(func() { db.Close() })
	return db, &now
}

func day(d int) balance.Date { return balance.DateOf(2026, 11, d) }

// upload makes an upload of kind k at loc covering days from..to, with one
// visit, whose content hash is hash.
func upload(channel, hash string, k balance.Kind, loc string, from, to int) *balance.Upload {
	b := balance.NewBuilder(hash+".csv", k, balance.Columns{Name: true}, nil)
	b.Header(loc, balance.Period{From: day(from), To: day(to)}, "", balance.Totals{})
	b.Add(balance.Line{Patient: balance.Patient{Name: "Smith, John"}, DOS: day(from)})
	return &balance.Upload{Channel: channel, FileID: "F" + hash, FileName: hash + ".csv", User: "U1", MessageTS: "1.0", Hash: hash, Report: b.Report()}
}

func TestStoreFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d", "balancebot.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := db.SaveUpload(context.Background(), upload("C1", "a", balance.KindEMRBillingReport, "Downtown", 16, 16)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), st.Mode().Perm())
		}
	}
	st, _ := os.Stat(filepath.Dir(path))
	if st.Mode().Perm() != 0o700 {
		t.Errorf("data directory has mode %v, want 0700", st.Mode().Perm())
	}
}

func TestStoreUploads(t *testing.T) {
	ctx := context.Background()
	db, now := open(t)
	save := func(u *balance.Upload) (*balance.Upload, bool) {
		t.Helper()
		earlier, dup, err := db.SaveUpload(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		*now = now.Add(time.Minute)
		return earlier, dup
	}
	mon := upload("C1", "mon", balance.KindEMRBillingReport, "Downtown", 16, 16)
	save(mon)
	if mon.ID == 0 {
		t.Fatal("SaveUpload did not set the id")
	}
	save(upload("C1", "tue", balance.KindEMRBillingReport, "Downtown", 17, 17))
	save(upload("C1", "week", balance.KindChargeAuditSummary, "Downtown", 16, 22))
	save(upload("C2", "other", balance.KindEMRBillingReport, "Downtown", 16, 16))

	// The same file again is recognised, not stored twice.
	again := upload("C1", "mon", balance.KindEMRBillingReport, "Downtown", 16, 16)
	earlier, dup := save(again)
	if !dup || earlier == nil || earlier.ID != mon.ID || earlier.Report.VisitCount() != 1 {
		t.Fatalf("duplicate upload: dup=%v earlier=%+v", dup, earlier)
	}

	names := func(p balance.Period) []string {
		ups, err := db.Uploads(ctx, "C1", p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range ups {
			out = append(out, u.FileName)
		}
		return out
	}
	if got := names(balance.Period{From: day(16), To: day(22)}); len(got) != 3 || got[0] != "mon.csv" || got[2] != "week.csv" {
		t.Errorf("week: %v", got)
	}
	if got := names(balance.Period{From: day(17), To: day(17)}); len(got) != 2 || got[0] != "tue.csv" {
		t.Errorf("Tuesday: %v", got)
	}

	// A newer export for the same kind, location and dates replaces the
	// older one in later balances.
	save(upload("C1", "mon-v2", balance.KindEMRBillingReport, "DOWNTOWN", 16, 16))
	if got := names(balance.Period{From: day(16), To: day(16)}); len(got) != 2 || got[0] != "week.csv" || got[1] != "mon-v2.csv" {
		t.Errorf("after a newer Monday export: %v", got)
	}
}
