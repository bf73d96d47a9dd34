package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/pgtest"
	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend is one of the engines the store runs on. The conformance suite
// runs every test on each, and each must behave the same.
type backend struct {
	name string
	// where returns a new place for a store: a SQLite file's path, or a
	// PostgreSQL database's URL.
	where func(t *testing.T) string
	// open opens the store there with the migrations up to last ("" for
	// all).
	open func(ctx context.Context, where, last string) (*DB, error)
}

var backends = []backend{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "data", "balancebot.db") }, open},
	{"postgres", func(t *testing.T) string { return pgtest.URL(t) }, openPostgres},
}

// openTest starts a store on a real engine (a SQLite file in a temp dir,
// or a fresh database in a throwaway PostgreSQL), with a clock the test
// moves.
func (e backend) openTest(t *testing.T) (*DB, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	db, err := e.open(context.Background(), e.where(t), "")
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return now }
	t.Cleanup(func() { db.Close() })
	return db, &now
}

// sqliteFiles are the store's SQLite files, none on PostgreSQL.
func sqliteFiles(db *DB) []string {
	if db.path == "" {
		return nil
	}
	return []string{db.path, db.path + "-wal"}
}

// TestConformance runs the store's tests on SQLite and on PostgreSQL.
func TestConformance(t *testing.T) {
	for _, e := range backends {
		t.Run(e.name, func(t *testing.T) {
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) { c.test(t, e) })
			}
		})
	}
}

var conformance = []struct {
	name string
	test func(*testing.T, backend)
}{
	{"StoreUploads", testStoreUploads},
	{"RetentionPurge", testRetentionPurge},
	{"ResultsAndReminders", testResultsAndReminders},
	{"Jobs", testJobs},
	{"UploadsInBothLayouts", testUploadsInBothLayouts},
	{"UploadsKnown", testUploadsKnown},
	{"SummariesKeptCurrent", testSummariesKeptCurrent},
	{"ItemsRoundTrip", testItemsRoundTrip},
	{"UpdateItem", testUpdateItem},
	{"ItemsPurged", testItemsPurged},
	{"OpenItemAges", testOpenItemAges},
	{"JobLeases", testJobLeases},
	{"Migrations", testMigrations},
}

func day(d int) rules.Date { return rules.DateOf(2026, 11, d) }

// upload makes an upload of kind k at loc covering days from..to, with one
// visit, whose content hash is hash.
func upload(channel, hash string, k rules.Kind, loc string, from, to int) *service.Upload {
	b := engine.NewBuilder(hash+".csv", k, rules.Columns{Name: true}, nil)
	b.Header(loc, rules.Period{From: day(from), To: day(to)}, "", rules.Totals{})
	b.Add(&rules.Line{Patient: rules.Patient{Name: "Smith, John"}, DOS: day(from)})
	return &service.Upload{Channel: channel, FileID: "F" + hash, FileName: hash + ".csv", User: "U1", MessageTS: "1.0", Hash: hash, Report: b.Report()}
}

func TestStoreFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d", "balancebot.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := db.SaveUpload(context.Background(), upload("C1", "a", rules.KindEMRBillingReport, "Downtown", 16, 16)); err != nil {
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

func testStoreUploads(t *testing.T, e backend) {
	ctx := context.Background()
	db, now := e.openTest(t)
	save := func(u *service.Upload) (*service.Upload, bool) {
		t.Helper()
		earlier, dup, err := db.SaveUpload(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		*now = now.Add(time.Minute)
		return earlier, dup
	}
	mon := upload("C1", "mon", rules.KindEMRBillingReport, "Downtown", 16, 16)
	save(mon)
	if mon.ID == 0 {
		t.Fatal("SaveUpload did not set the id")
	}
	save(upload("C1", "tue", rules.KindEMRBillingReport, "Downtown", 17, 17))
	save(upload("C1", "week", rules.KindChargeAuditSummary, "Downtown", 16, 22))
	save(upload("C2", "other", rules.KindEMRBillingReport, "Downtown", 16, 16))

	// The same file again is recognised, not stored twice.
	again := upload("C1", "mon", rules.KindEMRBillingReport, "Downtown", 16, 16)
	earlier, dup := save(again)
	if !dup || earlier == nil || earlier.ID != mon.ID || earlier.Report.VisitCount() != 1 {
		t.Fatalf("duplicate upload: dup=%v earlier=%+v", dup, earlier)
	}

	names := func(p rules.Period) []string {
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
	if got := names(rules.Period{From: day(16), To: day(22)}); len(got) != 3 || got[0] != "mon.csv" || got[2] != "week.csv" {
		t.Errorf("week: %v", got)
	}
	if got := names(rules.Period{From: day(17), To: day(17)}); len(got) != 2 || got[0] != "tue.csv" {
		t.Errorf("Tuesday: %v", got)
	}

	// A newer export for the same kind, location and dates is kept beside
	// the older one, oldest first: the balance's rules use the newer one
	// for the dates it covers (rules.Latest).
	save(upload("C1", "mon-v2", rules.KindEMRBillingReport, "DOWNTOWN", 16, 16))
	if got := names(rules.Period{From: day(16), To: day(16)}); !slices.Equal(got, []string{"mon.csv", "week.csv", "mon-v2.csv"}) {
		t.Errorf("after a newer Monday export: %v", got)
	}
}

// migrationNames lists the embedded migrations of an engine in order.
func migrationNames(t *testing.T, dialect string) []string {
	names, err := fs.Glob(migrationFiles, "migrations/"+dialect+"/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatal(err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	slices.Sort(names)
	return names
}

// TestMigrations upgrades a store of every earlier version, holding an
// upload, to this version, and builds one from empty.
func testMigrations(t *testing.T, e backend) {
	ctx := context.Background()
	all := migrationNames(t, e.name)
	for _, prev := range all[:len(all)-1] {
		t.Run("from "+prev, func(t *testing.T) {
			path := e.where(t)
			old, err := e.open(ctx, path, prev)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := old.Migrations(ctx); got[len(got)-1] != prev {
				t.Fatalf("the old store has migrations %v", got)
			}
			if _, _, err := old.SaveUpload(ctx, upload("C1", "kept", rules.KindEMRBillingReport, "Downtown", 16, 20)); err != nil {
				t.Fatal(err)
			}
			old.Close()

			db, err := e.open(ctx, path, "")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if got, _ := db.Migrations(ctx); !slices.Equal(got, all) {
				t.Errorf("migrations %v, want %v", got, all)
			}
			ups, err := db.Uploads(ctx, "C1", rules.Period{From: day(16), To: day(20)})
			if err != nil || len(ups) != 1 || ups[0].FileName != "kept.csv" || ups[0].Report.VisitCount() != 1 {
				t.Errorf("the upload did not survive the upgrade: %v %+v", err, ups)
			}
			if err := db.SetReminder(ctx, "weekly", "C1", time.Unix(1000, 0)); err != nil {
				t.Errorf("the new tables do not work: %v", err)
			}
			if _, err := db.AddJob(ctx, &service.Job{EventID: "Ev1", Channel: "C1", Payload: []byte("{}")}); err != nil {
				t.Errorf("the new tables do not work: %v", err)
			}
			// Opening again applies nothing twice and keeps the upload.
			db.Close()
			again, err := e.open(ctx, path, "")
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if got, _ := again.Migrations(ctx); !slices.Equal(got, all) {
				t.Errorf("reopened: migrations %v, want %v", got, all)
			}
			if ups, err := again.Uploads(ctx, "C1", rules.Period{From: day(16), To: day(20)}); err != nil || len(ups) != 1 {
				t.Errorf("reopened: uploads %v, %+v", err, ups)
			}
		})
	}
	fresh, err := e.open(ctx, e.where(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if got, _ := fresh.Migrations(ctx); !slices.Equal(got, all) {
		t.Errorf("fresh migrations %v, want %v", got, all)
	}
}

func testRetentionPurge(t *testing.T, e backend) {
	ctx := context.Background()
	db, now := e.openTest(t)
	old := upload("C1", "old", rules.KindEMRBillingReport, "Downtown", 2, 6)
	db.SaveUpload(ctx, old)
	*now = now.Add(30 * 24 * time.Hour)
	recent := upload("C1", "recent", rules.KindEMRBillingReport, "Downtown", 16, 20)
	db.SaveUpload(ctx, recent)
	*now = now.Add(10 * 24 * time.Hour)

	n, err := db.Purge(ctx, now.Add(-35*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want the one upload older than 35 days", n, err)
	}
	ups, _ := db.Uploads(ctx, "C1", rules.Period{From: day(1), To: day(30)})
	if len(ups) != 1 || ups[0].FileName != "recent.csv" {
		t.Errorf("after the purge: %+v", ups)
	}
	// Its patient names are gone from the file itself, not just unlinked.
	// On SQLite, the file itself is read back. (On PostgreSQL, VACUUM
	// marks the space reusable; the rows are gone, as checked above.)
	for _, p := range sqliteFiles(db) {
		data, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "old.csv") {
			t.Errorf("the purged upload's data is still in %s", filepath.Base(p))
		}
		if p == db.path && !strings.Contains(string(data), "recent.csv") {
			t.Errorf("the kept upload is not where this test looks for data")
		}
	}
}

func testResultsAndReminders(t *testing.T, e backend) {
	ctx := context.Background()
	db, _ := e.openTest(t)
	week := rules.Period{From: day(16), To: day(22)}
	if r, err := db.LatestResult(ctx, "C1", week); err != nil || r != nil {
		t.Fatalf("no result yet: %+v %v", r, err)
	}
	db.SaveResult(ctx, &service.Posted{Channel: "C1", TS: "1.1", Link: "https://x/1", Period: week, Balanced: false, Locations: []string{"Downtown"}, NeedsAction: 5})
	db.SaveResult(ctx, &service.Posted{Channel: "C1", TS: "1.2", Link: "https://x/2", Period: week, Balanced: true, Locations: []string{"Downtown", "Uptown"}})
	r, err := db.LatestResult(ctx, "C1", week)
	if err != nil || r == nil || r.TS != "1.2" || !r.Balanced || len(r.Locations) != 2 || r.Period != week {
		t.Errorf("latest: %+v %v", r, err)
	}
	// A later balance of one day does not stand for the week.
	db.SaveResult(ctx, &service.Posted{Channel: "C1", TS: "1.3", Link: "https://x/3", Period: rules.Period{From: day(17), To: day(17)}})
	if r, _ := db.LatestResult(ctx, "C1", week); r == nil || r.TS != "1.2" {
		t.Errorf("the week's verdict: %+v", r)
	}
	if r, _ := db.LatestResult(ctx, "C1", rules.Period{From: day(17), To: day(17)}); r == nil || r.TS != "1.3" {
		t.Errorf("the day's verdict: %+v", r)
	}
	if r, _ := db.LatestResult(ctx, "C1", rules.Period{From: day(23), To: day(29)}); r != nil {
		t.Errorf("a result for another week: %+v", r)
	}

	if _, ok, _ := db.LastReminder(ctx, "weekly", "C1"); ok {
		t.Error("a reminder before any was sent")
	}
	slot := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	db.SetReminder(ctx, "weekly", "C1", slot)
	db.SetReminder(ctx, "weekly", "C1", slot.Add(7*24*time.Hour))
	got, ok, err := db.LastReminder(ctx, "weekly", "C1")
	if err != nil || !ok || !got.Equal(slot.Add(7*24*time.Hour)) {
		t.Errorf("last reminder %v %v %v", got, ok, err)
	}
	// Of replicas due to send a slot, one claims it.
	next := slot.Add(14 * 24 * time.Hour)
	for i, c := range []struct {
		slot time.Time
		want bool
	}{{next, true}, {next, false}, {slot, false}, {next.Add(time.Hour), true}} {
		if ok, err := db.ClaimReminder(ctx, "weekly", "C1", c.slot); err != nil || ok != c.want {
			t.Errorf("claim %d (%v): %v %v, want %v", i+1, c.slot, ok, err, c.want)
		}
	}
	if ok, err := db.ClaimReminder(ctx, "daily", "C2", slot); err != nil || !ok {
		t.Errorf("the first claim of a reminder: %v %v", ok, err)
	}
}

func testJobs(t *testing.T, e backend) {
	ctx := context.Background()
	db, now := e.openTest(t)
	j := &service.Job{EventID: "Ev1", Channel: "C1", Payload: []byte(`{"ts":"1.0"}`)}
	if dup, err := db.AddJob(ctx, j); dup || err != nil || j.ID == 0 {
		t.Fatalf("AddJob: %v %v %d", dup, err, j.ID)
	}
	// The same event again (a redelivery, even after a restart) is a duplicate.
	if dup, err := db.AddJob(ctx, &service.Job{EventID: "Ev1", Channel: "C1", Payload: []byte(`{}`)}); !dup || err != nil {
		t.Errorf("a redelivered event: dup=%v err=%v", dup, err)
	}
	j.StatusTS, j.ResultTS, j.Attempts = "2.0", "3.0", 1
	if err := db.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	pending, err := db.PendingJobs(ctx)
	if err != nil || len(pending) != 1 || pending[0].StatusTS != "2.0" || pending[0].ResultTS != "3.0" || pending[0].Attempts != 1 || string(pending[0].Payload) != `{"ts":"1.0"}` {
		t.Fatalf("pending: %+v %v", pending, err)
	}
	db.FinishJob(ctx, j.ID, service.JobDone)
	if pending, _ := db.PendingJobs(ctx); len(pending) != 0 {
		t.Errorf("a finished job is still pending: %+v", pending)
	}
	// Finished jobs (message text, file names) are purged with the uploads.
	*now = now.Add(40 * 24 * time.Hour)
	db.SaveUpload(ctx, upload("C1", "x", rules.KindEMRBillingReport, "Downtown", 16, 16))
	*now = now.Add(40 * 24 * time.Hour)
	if _, err := db.Purge(ctx, now.Add(-35*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var n int
	db.db.QueryRow(`SELECT COUNT(*) FROM jobs`).Scan(&n)
	if n != 0 {
		t.Errorf("%d finished jobs survived the purge", n)
	}
}

// A job is handled under a lease: one replica at a time, another once the
// holder's lease runs out or is given up.
func testJobLeases(t *testing.T, e backend) {
	ctx := context.Background()
	db, now := e.openTest(t)
	lease := 30 * time.Second
	j := &service.Job{EventID: "Ev1", Channel: "C1", Payload: []byte("{}"), Owner: "a", LeaseUntil: now.Add(lease)}
	if _, err := db.AddJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	claim := func(owner string) bool {
		t.Helper()
		ok, err := db.ClaimJob(ctx, j.ID, owner, now.Add(lease))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if claim("b") {
		t.Error("b took a job whose lease a holds")
	}
	if !claim("a") {
		t.Error("a could not renew its own lease")
	}
	if got, _ := db.PendingJobs(ctx); len(got) != 1 || got[0].Owner != "a" || !got[0].LeaseUntil.Equal(now.Add(lease).Truncate(time.Second)) {
		t.Errorf("pending: %+v", got)
	}
	*now = now.Add(lease + time.Second) // a died: its lease ran out
	if !claim("b") || claim("a") {
		t.Error("the job did not pass to b once a's lease ran out")
	}
	if err := db.ReleaseJob(ctx, j.ID, "a"); err != nil {
		t.Fatal(err)
	}
	if claim("c") {
		t.Error("a released a lease it did not hold")
	}
	db.ReleaseJob(ctx, j.ID, "b")
	if !claim("c") {
		t.Error("a released job could not be claimed")
	}
	db.FinishJob(ctx, j.ID, service.JobDone)
	if claim("c") {
		t.Error("a finished job was claimed")
	}
	// An envelope is seen once; a day later it is forgotten.
	if dup, err := db.SeenEnvelope(ctx, "env-1"); err != nil || dup {
		t.Errorf("first sight of an envelope: %v %v", dup, err)
	}
	if dup, _ := db.SeenEnvelope(ctx, "env-1"); !dup {
		t.Error("a redelivered envelope was not recognised")
	}
	*now = now.Add(25 * time.Hour)
	if _, err := db.Purge(ctx, now.Add(-35*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if dup, _ := db.SeenEnvelope(ctx, "env-1"); dup {
		t.Error("an envelope seen a day ago was still kept")
	}
}

// Uploads kept before the binary layout (gzipped JSON) still read back,
// and new ones are stored in the binary layout.
func testUploadsInBothLayouts(t *testing.T, e backend) {
	db, _ := e.openTest(t)
	ctx := context.Background()
	oldUp := upload("C1", "old", rules.KindEMRBillingReport, "Downtown", 16, 16)
	newUp := upload("C1", "new", rules.KindChargeAuditSummary, "Downtown", 16, 16)
	for _, u := range []*service.Upload{oldUp, newUp} {
		if _, _, err := db.SaveUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	var legacy bytes.Buffer
	zw := gzip.NewWriter(&legacy)
	if err := json.NewEncoder(zw).Encode(oldUp.Report); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	if _, err := db.db.ExecContext(ctx, `UPDATE uploads SET report = ? WHERE content_hash = 'old'`, legacy.Bytes()); err != nil {
		t.Fatal(err)
	}
	var blob []byte
	if err := db.db.QueryRowContext(ctx, `SELECT report FROM uploads WHERE content_hash = 'new'`).Scan(&blob); err != nil {
		t.Fatal(err)
	}
	if !engine.IsBinaryReport(blob) {
		t.Errorf("a new upload is not stored in the binary layout: % x", blob[:min(8, len(blob))])
	}
	ups, err := db.Uploads(ctx, "C1", rules.Period{From: day(16), To: day(16)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 {
		t.Fatalf("%d uploads, want 2", len(ups))
	}
	for _, u := range ups {
		want := map[string]rules.Kind{"old": rules.KindEMRBillingReport, "new": rules.KindChargeAuditSummary}[u.Hash]
		if u.Report.Kind != want || len(u.Report.Visits) != 1 || u.Report.Patient(&u.Report.Visits[0]).Name != "Smith, John" {
			t.Errorf("%s: read back %+v", u.Hash, u.Report)
		}
	}
}

// Uploads takes the reports of known uploads from the caller, and reads
// the others back.
func testUploadsKnown(t *testing.T, e backend) {
	db, _ := e.openTest(t)
	ctx := context.Background()
	a := upload("C1", "a", rules.KindEMRBillingReport, "Downtown", 16, 16)
	b := upload("C1", "b", rules.KindChargeAuditSummary, "Downtown", 16, 16)
	for _, u := range []*service.Upload{a, b} {
		if _, _, err := db.SaveUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	ups, err := db.Uploads(ctx, "C1", rules.Period{From: day(16), To: day(16)}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].Hash != "a" || ups[1].Hash != "b" {
		t.Fatalf("uploads %v", ups)
	}
	if ups[1].Report != b.Report {
		t.Error("the known upload's report was read back instead of taken from the caller")
	}
	if ups[0].Report == a.Report || len(ups[0].Report.Visits) != 1 || ups[0].Report.Patient(&ups[0].Report.Visits[0]).Name != "Smith, John" {
		t.Errorf("the other upload's report: %+v", ups[0].Report)
	}
}

func testSummariesKeptCurrent(t *testing.T, e backend) {
	ctx := context.Background()
	db, now := e.openTest(t)
	week := rules.Period{From: day(16), To: day(20)}
	first := &service.Posted{Channel: "C1", TS: "1.1", Link: "https://x/1", Period: week, Locations: []string{"Downtown"},
		Thread: map[string]string{"DOWNTOWN": "abc"}}
	if err := db.SaveResult(ctx, first); err != nil {
		t.Fatal(err)
	}
	day17 := &service.Posted{Channel: "C1", TS: "1.2", Period: rules.Period{From: day(17), To: day(17)}}
	db.SaveResult(ctx, day17)
	db.SaveResult(ctx, &service.Posted{Channel: "C2", TS: "2.1", Period: week})
	db.SaveResult(ctx, &service.Posted{Channel: "C1", TS: "1.3", Period: rules.Period{From: day(16), To: day(27)}})

	got, err := db.Summaries(ctx, "C1", week)
	if err != nil || len(got) != 2 || got[0].TS != "1.2" || got[1].TS != "1.1" {
		t.Fatalf("summaries within the week, latest first: %+v %v", got, err)
	}
	if got[1].Thread["DOWNTOWN"] != "abc" {
		t.Errorf("the thread record did not come back: %+v", got[1].Thread)
	}

	// Updated in place: the same row, its revision and thread moved on.
	*now = now.Add(time.Hour)
	first.Revision, first.At, first.Locations = 1, *now, []string{"Downtown", "Uptown"}
	first.Thread = nil // not written by UpdateResult
	if err := db.UpdateResult(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveThread(ctx, "C1", first.ID, map[string]string{"DOWNTOWN": "abc", "UPTOWN": "def"}); err != nil {
		t.Fatal(err)
	}
	if r, err := db.Result(ctx, "C1", first.ID); err != nil || r == nil || r.Thread["DOWNTOWN"] != "abc" {
		t.Errorf("Result: %+v %v", r, err)
	}
	if r, err := db.Result(ctx, "C2", first.ID); err != nil || r != nil {
		t.Errorf("another channel's result: %+v %v", r, err)
	}
	day17.SupersededBy = first.ID
	if err := db.UpdateResult(ctx, day17); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Summaries(ctx, "C1", week)
	if len(got) != 1 || got[0].ID != first.ID || got[0].Revision != 1 || len(got[0].Locations) != 2 ||
		got[0].Thread["UPTOWN"] != "def" || !got[0].At.Equal(now.Truncate(time.Second)) {
		t.Errorf("after the update and the superseding: %+v", got)
	}
	if err := db.UpdateResult(ctx, &service.Posted{ID: first.ID, Channel: "C2"}); err == nil {
		t.Error("a balance updated from another channel")
	}
}
