package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/rules"
)

// memStore keeps uploads in memory, as the store does on disk: the same
// content in a channel once, uploads returned oldest first.
type memStore struct {
	mu   sync.Mutex
	ups  []*Upload
	locs []LocationEntry
}

func (m *memStore) SetLocation(_ context.Context, _ string, e LocationEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.locs = append(m.locs, e)
	return nil
}

func (m *memStore) RemoveLocation(_ context.Context, _, name string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.locs)
	m.locs = slices.DeleteFunc(m.locs, func(e LocationEntry) bool { return rules.LocationKey(e.Name) == rules.LocationKey(name) })
	return len(m.locs) < n, nil
}

func (m *memStore) Locations(context.Context, string) ([]LocationEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.locs), nil
}

func (m *memStore) SaveUpload(_ context.Context, u *Upload) (*Upload, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.ups {
		if e.Channel == u.Channel && e.Hash == u.Hash {
			return e, true, nil
		}
	}
	u.ID = int64(len(m.ups) + 1)
	m.ups = append(m.ups, u)
	return nil, false, nil
}

func (m *memStore) Uploads(_ context.Context, channel string, p rules.Period, _ ...*Upload) ([]*Upload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Upload
	for _, u := range m.ups {
		up := u.Period()
		if u.Channel == channel && up.To >= p.From && up.From <= p.To {
			out = append(out, u)
		}
	}
	return out, nil
}

func day(n int) rules.Date { return rules.DateOf(2026, 11, n) }

// read reads a tiny export: a first line "KIND LOCATION FROM TO" and a
// line "Last, First DAY" per visit; a name starting "bad" is unreadable.
func read(name string, r io.Reader, h Hint) (*engine.Report, error) {
	if strings.HasPrefix(name, "bad") {
		return nil, rules.RowErrorf(name, 2, "the Date of Service column holds no date.")
	}
	b, _ := io.ReadAll(r)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var kind, loc string
	var from, to int
	fmt.Sscan(lines[0], &kind, &loc, &from, &to)
	k := rules.Kind(kind)
	cols := rules.Columns{Name: true, Visits: k == rules.KindChargeAuditSummary}
	bl := engine.NewBuilder(name, k, cols, h.IECodes)
	bl.Header(loc, rules.Period{From: day(from), To: day(to)}, "", rules.Totals{})
	for _, l := range lines[1:] {
		i := strings.LastIndexByte(l, ' ')
		var d int
		fmt.Sscan(l[i+1:], &d)
		bl.Add(&rules.Line{Patient: rules.Patient{Name: l[:i]}, DOS: day(d), Visits: 1})
	}
	return bl.Report(), nil
}

func source(name, text string) Source {
	return Source{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }}
}

func TestReconcileReadsEveryFileInOrder(t *testing.T) {
	s := New(read, nil)
	emr := source("emr.csv", "emr_billing_report Downtown 16 20\nSmith, John 16\nDoe, Jane 17")
	old := source("cas-old.csv", "charge_audit_summary Downtown 16 20\nSmith, John 16")
	fixed := source("cas-new.csv", "charge_audit_summary Downtown 16 20\nSmith, John 16\nDoe, Jane 17")
	res, fileErrs, err := s.Reconcile(context.Background(), []Source{emr, old, fixed}, rules.Options{})
	if err != nil || fileErrs != nil {
		t.Fatal(err, fileErrs)
	}
	// The later export of the same report is the one used.
	if !res.Balanced || res.Locations[0].BillingVisits != 2 {
		t.Errorf("the later export should replace the earlier: %+v", res.Locations)
	}
	missing := Source{Name: "gone.csv", Open: func() (io.ReadCloser, error) { return nil, rules.FileErrorf("gone.csv", "cannot open the file") }}
	_, fileErrs, err = s.Reconcile(context.Background(), []Source{emr, source("bad1.csv", ""), missing, source("bad2.csv", "")}, rules.Options{})
	var names []string
	for _, e := range fileErrs {
		var re *rules.Error
		if errors.As(e, &re) {
			names = append(names, re.File)
		}
	}
	if err != nil || !slices.Equal(names, []string{"bad1.csv", "gone.csv", "bad2.csv"}) {
		t.Errorf("every bad file, in order: %v %v", names, err)
	}
}

func TestKeepAndBalanceNew(t *testing.T) {
	ctx := context.Background()
	store := &memStore{}
	s := New(read, store)
	keep := func(name, text string) (*Upload, *Upload) {
		t.Helper()
		r, err := s.Read(name, strings.NewReader(text), Hint{})
		if err != nil {
			t.Fatal(err)
		}
		u := &Upload{Channel: "C1", FileName: name, Hash: text, Report: r}
		same, err := s.Keep(ctx, u, day(23).Time(time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		return u, same
	}
	emr, _ := keep("emr.csv", "emr_billing_report Downtown 16 20\nSmith, John 16\nDoe, Jane 17")
	bal, err := s.BalanceNew(ctx, "C1", []*Upload{emr})
	if err != nil || bal.Result == nil || len(bal.Result.Locations) != 0 || len(bal.Result.Waiting) != 1 || bal.Result.Waiting[0].Missing != rules.SideBilling {
		t.Fatalf("with the EMR side only, Downtown waits for billing: %+v %v", bal.Result, err)
	}
	if got := bal.Coverage[0].Missing(rules.SideBilling, rules.Period{From: day(16), To: day(22)}); len(got) != 5 {
		t.Errorf("billing is still needed Monday to Friday: %v", got)
	}

	keep("cas.csv", "charge_audit_summary Downtown 16 20\nSmith, John 16")
	fixed, _ := keep("cas-fixed.csv", "charge_audit_summary Downtown 16 20\nSmith, John 16\nDoe, Jane 17")
	if _, same := keep("cas copy.csv", "charge_audit_summary Downtown 16 20\nSmith, John 16\nDoe, Jane 17"); same == nil || same.FileName != "cas-fixed.csv" {
		t.Errorf("the same content again counts once: %+v", same)
	}
	bal, err = s.BalanceNew(ctx, "C1", []*Upload{fixed})
	if err != nil || bal.Result == nil || !bal.Result.Balanced {
		t.Fatalf("the fixed export balances the week: %+v %v", bal.Result, err)
	}
	replaced := slices.ContainsFunc(bal.Result.Warnings, func(w rules.Warning) bool {
		return w.Code == rules.WarnReplaced && w.File == "cas.csv" && w.OtherFile == "cas-fixed.csv"
	})
	if !replaced {
		t.Errorf("the balance says which export replaced which: %+v", bal.Result.Warnings)
	}
	// The replaced export counts no more in what the channel holds.
	if n := bal.Coverage[0].Kinds[rules.SideBilling.Index()][rules.KindChargeAuditSummary]; n != 1 {
		t.Errorf("Charge Audit Summaries counted: %d, want 1", n)
	}

	week := rules.Period{From: day(16), To: day(22)}
	bal, err = s.BalancePeriod(ctx, "C1", week)
	if err != nil || bal.Result == nil || bal.Result.From != day(16) || bal.Result.To != day(20) {
		t.Errorf("/balance week balances the dates both sides cover: %+v %v", bal.Result, err)
	}
	bal, err = s.BalancePeriod(ctx, "C1", rules.Period{From: day(23), To: day(29)})
	if err != nil || bal.Result != nil || len(bal.Coverage) != 0 {
		t.Errorf("nothing stored for next week: %+v %v", bal, err)
	}
}
