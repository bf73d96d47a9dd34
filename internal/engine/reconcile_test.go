package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/balancebot/balancebot/internal/rules"
)

// day returns a date in November 2026, the month the tests balance.
func day(d int) rules.Date { return rules.DateOf(2026, 11, d) }

// line is a row of a test report: "Smith, John" on day 16 at "" location.
func line(name string, d int, mods ...func(*rules.Line)) rules.Line {
	l := rules.Line{Patient: rules.Patient{Name: name}, DOS: day(d)}
	for _, m := range mods {
		m(&l)
	}
	return l
}

func cpt(code string, units float64) func(*rules.Line) {
	return func(l *rules.Line) { l.CPT, l.Units = code, units }
}
func visits(n float64) func(*rules.Line) { return func(l *rules.Line) { l.Visits = n } }
func at(loc string) func(*rules.Line)    { return func(l *rules.Line) { l.Location = loc } }
func dnb(l *rules.Line)                  { l.DoNotBill = true }
func status(s rules.ClaimStatus) func(*rules.Line) {
	return func(l *rules.Line) { l.Status = s }
}
func acct(a string) func(*rules.Line) { return func(l *rules.Line) { l.Patient.Account = a } }

// build folds lines into a report of kind k, with the columns such a report
// has by default.
func build(name string, k rules.Kind, lines ...rules.Line) *Report {
	cols := rules.Columns{Name: true}
	switch k {
	case rules.KindEMRBillingReport, rules.KindDocumentedUnits:
		cols.CPT, cols.Units = true, true
	case rules.KindChargeAuditSummary:
		cols.Units = true
		for _, l := range lines {
			if l.Visits != 0 {
				cols.Visits = true
			}
		}
	}
	b := NewBuilder(name, k, cols, nil)
	for _, l := range lines {
		b.Add(&l)
	}
	return b.Report()
}

func emr(lines ...rules.Line) *Report { return build("emr.csv", rules.KindEMRBillingReport, lines...) }
func bill(lines ...rules.Line) *Report {
	return build("cas.csv", rules.KindChargeAuditSummary, lines...)
}

// mismatchList renders mismatches compactly: "emr 16 Smith, John norcm".
func mismatchList(l rules.Location) []string {
	var out []string
	for _, m := range l.Mismatches {
		_, _, d := m.DateOfService.Civil()
		s := fmt.Sprintf("%s %d %s %s", m.Side, d, m.Patient, m.Reason)
		if m.OtherDate != 0 {
			_, _, o := m.OtherDate.Civil()
			s += fmt.Sprintf(" (other %d)", o)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestReconcileReasons(t *testing.T) {
	tests := []struct {
		name     string
		reports  []*Report
		balanced bool
		counts   [3]int // emr, billing, matched
		want     []string
	}{
		{
			name: "all matched",
			reports: []*Report{
				emr(line("Smith, John", 16, cpt("97110", 2)), line("Doe, Jane", 16, cpt("97140", 1))),
				bill(line("John Smith", 16, cpt("97110", 2)), line("Jane Doe", 16, cpt("97140", 1))),
			},
			balanced: true, counts: [3]int{2, 2, 2},
		},
		{
			name: "CPT lines of one visit count once",
			reports: []*Report{
				emr(line("Smith, John", 16, cpt("97110", 2)), line("Smith, John", 16, cpt("97140", 1)), line("Smith, John", 16, cpt("97530", 1))),
				bill(line("John Smith", 16, cpt("97110", 2)), line("John Smith", 16, cpt("97140", 1))),
			},
			balanced: true, counts: [3]int{1, 1, 1},
		},
		{
			name: "Last, First M. against FIRST LAST",
			reports: []*Report{
				emr(line("Smith, John M.", 16, cpt("97110", 1))),
				bill(line("JOHN SMITH", 16, cpt("97110", 1))),
			},
			balanced: true, counts: [3]int{1, 1, 1},
		},
		{
			name: "norcm",
			reports: []*Report{
				emr(line("Smith, John", 16, cpt("NORCM", 0)), line("Smith, John", 16, cpt("97110", 2)), line("Doe, Jane", 16, cpt("97110", 1))),
				bill(line("Jane Doe", 16, cpt("97110", 1))),
			},
			balanced: true, counts: [3]int{2, 1, 1},
			want: []string{"emr 16 Smith, John norcm"},
		},
		{
			name: "no_charge",
			reports: []*Report{
				emr(line("Smith, John", 17, cpt("NC001", 0)), line("Doe, Jane", 17, cpt("97110", 1))),
				bill(line("Jane Doe", 17, cpt("97110", 1))),
			},
			balanced: true, counts: [3]int{2, 1, 1},
			want: []string{"emr 17 Smith, John no_charge"},
		},
		{
			name: "do_not_bill from Documented Units",
			reports: []*Report{
				build("dv.csv", rules.KindDocumentedVisits, line("Smith, John", 16), line("Doe, Jane", 16)),
				build("du.csv", rules.KindDocumentedUnits, line("Smith, John", 16, cpt("97110", 2), dnb)),
				bill(line("Jane Doe", 16, cpt("97110", 1))),
			},
			balanced: true, counts: [3]int{2, 1, 1},
			want: []string{"emr 16 Smith, John do_not_bill"},
		},
		{
			name: "zero_units when every line has 0 units",
			reports: []*Report{
				build("dv.csv", rules.KindDocumentedVisits, line("Smith, John", 16), line("Doe, Jane", 16)),
				build("du.csv", rules.KindDocumentedUnits, line("Smith, John", 16, cpt("97110", 0)), line("Smith, John", 16, cpt("97140", 0)),
					line("Doe, Jane", 16, cpt("97110", 1))),
				bill(line("Jane Doe", 16, cpt("97110", 1))),
			},
			balanced: true, counts: [3]int{2, 1, 1},
			want: []string{"emr 16 Smith, John zero_units"},
		},
		{
			name: "same_day: two notes, billing counts the date once",
			reports: []*Report{
				build("dv.csv", rules.KindDocumentedVisits, line("Smith, John", 16), line("Smith, John", 16)),
				bill(line("John Smith", 16, visits(1))),
			},
			balanced: true, counts: [3]int{2, 1, 1},
			want: []string{"emr 16 Smith, John same_day"},
		},
		{
			name: "billing_exception",
			reports: []*Report{
				emr(line("Smith, John", 18, cpt("97110", 1))),
				bill(),
				build("ex.csv", rules.KindBillingExceptions, line("John Smith", 18)),
			},
			balanced: false, counts: [3]int{1, 0, 0},
			want: []string{"emr 18 Smith, John billing_exception"},
		},
		{
			name: "claims feed: not re-billed before not sent",
			reports: []*Report{
				emr(line("Smith, John", 18, cpt("97110", 1)), line("Doe, Jane", 18, cpt("97110", 1))),
				bill(),
				build("cf.csv", rules.KindClaimsFeed, line("Smith, John", 18, status(rules.StatusNotSent)), line("Smith, John", 18, status(rules.StatusNotRebilled)),
					line("Doe, Jane", 18, status(rules.StatusNotSent))),
			},
			balanced: false, counts: [3]int{2, 0, 0},
			want: []string{"emr 18 Doe, Jane claims_feed_not_sent", "emr 18 Smith, John claims_feed_not_rebilled"},
		},
		{
			name: "dos_mismatch pairs both sides",
			reports: []*Report{
				emr(line("Smith, John", 17, cpt("97110", 1))),
				bill(line("John Smith", 18, cpt("97110", 1))),
			},
			balanced: false, counts: [3]int{1, 1, 0},
			want: []string{"billing 18 John Smith dos_mismatch (other 17)", "emr 17 Smith, John dos_mismatch (other 18)"},
		},
		{
			name: "dos_mismatch pairs nearest dates first",
			reports: []*Report{
				emr(line("Smith, John", 16, cpt("97110", 1)), line("Smith, John", 20, cpt("97110", 1))),
				bill(line("John Smith", 19, cpt("97110", 1))),
			},
			balanced: false, counts: [3]int{2, 1, 0},
			want: []string{"billing 19 John Smith dos_mismatch (other 20)", "emr 16 Smith, John unexplained", "emr 20 Smith, John dos_mismatch (other 19)"},
		},
		{
			name: "dos_mismatch only within 7 days",
			reports: []*Report{
				emr(line("Smith, John", 2, cpt("97110", 1))),
				bill(line("John Smith", 10, cpt("97110", 1))),
			},
			balanced: false, counts: [3]int{1, 1, 0},
			want: []string{"billing 10 John Smith unexplained", "emr 2 Smith, John unexplained"},
		},
		{
			name: "duplicate: billing counts more visits than the EMR",
			reports: []*Report{
				emr(line("Smith, John", 16, cpt("97110", 1))),
				bill(line("John Smith", 16, visits(2))),
			},
			balanced: false, counts: [3]int{1, 2, 1},
			want: []string{"billing 16 John Smith duplicate"},
		},
		{
			name: "a zero-visit billing row (a fee) is no visit",
			reports: []*Report{
				emr(line("Smith, John", 16, cpt("97110", 1))),
				bill(line("John Smith", 16, visits(1)), line("Doe, Jane", 16, visits(0))),
			},
			balanced: true, counts: [3]int{1, 1, 1},
		},
		{
			name: "unexplained on both sides",
			reports: []*Report{
				emr(line("Smith, John", 16, cpt("97110", 1))),
				bill(line("Jane Doe", 16, cpt("97110", 1))),
			},
			balanced: false, counts: [3]int{1, 1, 0},
			want: []string{"billing 16 Jane Doe unexplained", "emr 16 Smith, John unexplained"},
		},
		{
			name: "precedence: norcm beats a held exception and is never paired",
			reports: []*Report{
				emr(line("Smith, John", 16, cpt("NORCM", 0))),
				bill(line("John Smith", 17, cpt("97110", 1))),
				build("ex.csv", rules.KindBillingExceptions, line("John Smith", 16)),
			},
			balanced: false, counts: [3]int{1, 1, 0},
			want: []string{"billing 17 John Smith unexplained", "emr 16 Smith, John norcm"},
		},
		{
			name: "precedence: same_day beats exception; exception beats claims feed and dos_mismatch",
			reports: []*Report{
				build("dv.csv", rules.KindDocumentedVisits, line("Smith, John", 16), line("Smith, John", 16), line("Doe, Jane", 16)),
				build("du.csv", rules.KindDocumentedUnits, line("Smith, John", 16, cpt("97110", 1)), line("Doe, Jane", 16, cpt("97110", 1))),
				bill(line("John Smith", 16, visits(1)), line("Jane Doe", 17, visits(1))),
				build("ex.csv", rules.KindBillingExceptions, line("Smith, John", 16), line("Doe, Jane", 16)),
				build("cf.csv", rules.KindClaimsFeed, line("Doe, Jane", 16, status(rules.StatusNotSent))),
			},
			balanced: false, counts: [3]int{3, 2, 1},
			want: []string{"billing 17 Jane Doe unexplained", "emr 16 Doe, Jane billing_exception", "emr 16 Smith, John same_day"},
		},
		{
			name: "precedence: dos_mismatch beats duplicate",
			reports: []*Report{
				emr(line("Smith, John", 16, cpt("97110", 1)), line("Smith, John", 17, cpt("97110", 1))),
				bill(line("John Smith", 16, visits(2))),
			},
			balanced: false, counts: [3]int{2, 2, 1},
			want: []string{"billing 16 John Smith dos_mismatch (other 17)", "emr 17 Smith, John dos_mismatch (other 16)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Reconcile(tc.reports, rules.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Locations) != 1 {
				t.Fatalf("got %d locations, want 1", len(res.Locations))
			}
			l := res.Locations[0]
			if got := [3]int{l.EMRVisits, l.BillingVisits, l.MatchedVisits}; got != tc.counts {
				t.Errorf("emr, billing, matched = %v, want %v", got, tc.counts)
			}
			if got := mismatchList(l); !slices.Equal(got, tc.want) {
				t.Errorf("mismatches:\n got %q\nwant %q", got, tc.want)
			}
			if l.Balanced != tc.balanced || res.Balanced != tc.balanced {
				t.Errorf("balanced = %v (location %v), want %v", res.Balanced, l.Balanced, tc.balanced)
			}
			// The counts must add up: every visit is matched or a mismatch.
			var emrMis, billMis, reasons int
			for _, m := range l.Mismatches {
				if m.Side == rules.SideEMR {
					emrMis++
				} else {
					billMis++
				}
				if m.NeedsAction != m.Reason.NeedsAction() {
					t.Errorf("%v: needs_action %v disagrees with its reason", m, m.NeedsAction)
				}
			}
			for _, n := range l.Reasons {
				reasons += n
			}
			if l.MatchedVisits+emrMis != l.EMRVisits || l.MatchedVisits+billMis != l.BillingVisits || reasons != len(l.Mismatches) {
				t.Errorf("counts do not add up: %+v", l)
			}
		})
	}
}

func TestReconcileTwoLocationsInOneFile(t *testing.T) {
	res, err := Reconcile([]*Report{
		emr(line("Smith, John", 16, at("Downtown"), cpt("97110", 1)), line("Smith, John", 16, at("Uptown"), cpt("97110", 1)),
			line("Doe, Jane", 16, at("Uptown"), cpt("97110", 1))),
		bill(line("John Smith", 16, at("DOWNTOWN"), cpt("97110", 1)), line("John Smith", 16, at("uptown"), cpt("97110", 1))),
	}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Locations) != 2 {
		t.Fatalf("got %d locations, want 2", len(res.Locations))
	}
	down, up := res.Locations[0], res.Locations[1]
	if down.Location != "Downtown" || up.Location != "Uptown" {
		t.Fatalf("locations %q, %q", down.Location, up.Location)
	}
	if !down.Balanced || down.MatchedVisits != 1 {
		t.Errorf("Downtown: %+v", down)
	}
	if up.Balanced || up.EMRVisits != 2 || up.BillingVisits != 1 || !slices.Equal(mismatchList(up), []string{"emr 16 Doe, Jane unexplained"}) {
		t.Errorf("Uptown: %+v", up)
	}
	if res.Balanced {
		t.Error("the result is balanced although Uptown is not")
	}
}

func TestReconcileLocationResolution(t *testing.T) {
	named := emr(line("Smith, John", 16, cpt("97110", 1)))
	named.Location = "Downtown"
	unnamed := bill(line("John Smith", 16, cpt("97110", 1)))
	res, err := Reconcile([]*Report{named, unnamed}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Locations) != 1 || res.Locations[0].Location != "Downtown" || !res.Balanced {
		t.Fatalf("a file without a location should take the one the others name: %+v", res.Locations)
	}

	two := emr(line("Smith, John", 16, at("Downtown"), cpt("97110", 1)), line("Doe, Jane", 16, at("Uptown"), cpt("97110", 1)))
	_, err = Reconcile([]*Report{two, bill(line("John Smith", 16, cpt("97110", 1)))}, rules.Options{})
	var e *rules.Error
	if !errors.As(err, &e) || e.Code != rules.EInvalid || e.File != "cas.csv" || !strings.Contains(e.Message, "Downtown, Uptown") || e.Fix != rules.FixLocation || strings.Contains(e.Message, "--") {
		t.Fatalf("want an invalid-input error naming cas.csv and both locations, got %v", err)
	}
	res, err = Reconcile([]*Report{two, bill(line("John Smith", 16, cpt("97110", 1)))}, rules.Options{Location: "downtown"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Locations[0].Location != "Downtown" || !res.Locations[0].Balanced || res.Locations[1].Balanced {
		t.Errorf("--location downtown: %+v", res.Locations)
	}
}

func TestReconcileSides(t *testing.T) {
	for _, tc := range []struct {
		reports []*Report
		want    string
	}{
		{[]*Report{bill(line("John Smith", 16))}, "No EMR side"},
		{[]*Report{emr(line("John Smith", 16)), build("ex.csv", rules.KindBillingExceptions, line("John Smith", 16))}, "No billing side"},
		{nil, "No EMR side"},
	} {
		_, err := Reconcile(tc.reports, rules.Options{})
		if rules.ErrorCode(err) != rules.EInvalid || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an invalid-input error saying %q", err, tc.want)
		}
	}
}

func TestReconcilePeriod(t *testing.T) {
	e := emr(line("Smith, John", 15, cpt("97110", 1)), line("Smith, John", 16, cpt("97110", 1)), line("Doe, Jane", 21, cpt("97110", 1)))
	b := bill(line("John Smith", 16, cpt("97110", 1)))

	res, err := Reconcile([]*Report{e, b}, rules.Options{Period: rules.Period{From: day(16), To: day(20)}})
	if err != nil {
		t.Fatal(err)
	}
	l := res.Locations[0]
	if !res.Balanced || l.EMRVisits != 1 || res.From != day(16) || res.To != day(20) {
		t.Errorf("with --from/--to: balanced %v, emr %d, %s..%s", res.Balanced, l.EMRVisits, res.From, res.To)
	}
	if w := findWarning(res, rules.WarnOutsidePeriod); w == nil || w.Count != 2 || w.File != "emr.csv" {
		t.Errorf("want a warning about 2 visits outside the period, got %+v", res.Warnings)
	}

	// Stated ranges that disagree: the dates both share, with a warning.
	e.Period = rules.Period{From: day(16), To: day(20)}
	b.Period = rules.Period{From: day(16), To: day(22)}
	res, err = Reconcile([]*Report{e, b}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.From != day(16) || res.To != day(20) || findWarning(res, rules.WarnPeriodsDisagree) == nil {
		t.Errorf("stated ranges: %s..%s, warnings %+v", res.From, res.To, res.Warnings)
	}

	// Ranges that share nothing cannot be balanced.
	b.Period = rules.Period{From: day(23), To: day(27)}
	if _, err := Reconcile([]*Report{e, b}, rules.Options{}); rules.ErrorCode(err) != rules.EInvalid || !strings.Contains(err.Error(), "share no dates") {
		t.Errorf("disjoint ranges: got %v", err)
	}

	// Without any stated range, the dates found.
	res, err = Reconcile([]*Report{emr(line("A, B", 15)), bill(line("B A", 17))}, rules.Options{})
	if err != nil || res.From != day(15) || res.To != day(17) {
		t.Errorf("found dates: %v %s..%s", err, res.From, res.To)
	}
}

func TestReconcileReplacement(t *testing.T) {
	old := build("cas-monday-v1.csv", rules.KindChargeAuditSummary, line("John Smith", 16, cpt("97110", 1)))
	old.Period = rules.Period{From: day(16), To: day(16)}
	newer := build("cas-monday-v2.csv", rules.KindChargeAuditSummary, line("John Smith", 16, cpt("97110", 1)), line("Jane Doe", 16, cpt("97110", 1)))
	newer.Period = rules.Period{From: day(16), To: day(16)}
	tuesday := build("cas-tuesday.csv", rules.KindChargeAuditSummary, line("Jane Doe", 17, cpt("97110", 1)))
	tuesday.Period = rules.Period{From: day(17), To: day(17)}
	e := emr(line("Smith, John", 16, cpt("97110", 1)), line("Doe, Jane", 16, cpt("97110", 1)), line("Doe, Jane", 17, cpt("97110", 1)))
	res, err := Reconcile([]*Report{e, old, newer, tuesday}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := res.Locations[0]
	if !res.Balanced || l.BillingVisits != 3 || l.EMRVisits != 3 {
		t.Errorf("a newer export should replace the older for its dates and keep other days: %+v", l)
	}
	w := findWarning(res, rules.WarnReplaced)
	if w == nil || w.File != "cas-monday-v1.csv" || w.OtherFile != "cas-monday-v2.csv" || w.Kind != rules.KindChargeAuditSummary || w.Period == nil {
		t.Errorf("want a replacement warning, got %+v", res.Warnings)
	}
}

func TestReconcilePerDayBilling(t *testing.T) {
	b := NewBuilder("cas-days.csv", rules.KindChargeAuditSummary, rules.Columns{Visits: true}, nil)
	b.Add(&rules.Line{DOS: day(16), Visits: 2})
	b.Add(&rules.Line{DOS: day(17), Visits: 1})
	res, err := Reconcile([]*Report{
		emr(line("Smith, John", 16, cpt("97110", 1)), line("Doe, Jane", 16, cpt("NORCM", 0)), line("Roe, Rick", 16, cpt("97110", 1)),
			line("Smith, John", 17, cpt("97110", 1)), line("Doe, Jane", 17, cpt("97110", 1))),
		b.Report(),
	}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := res.Locations[0]
	if !l.PerDay || l.MatchedVisits != 3 || l.EMRVisits != 5 || l.BillingVisits != 3 {
		t.Fatalf("per-day: %+v", l)
	}
	if l.Reasons[rules.ReasonNORCM] != 1 || l.Reasons[rules.ReasonUnexplained] != 1 || l.Balanced {
		t.Errorf("day 16 is explained by NORCM, day 17 is not: reasons %v", l.Reasons)
	}
	if w := findWarning(res, rules.WarnPerDay); w == nil || w.Count != 1 {
		t.Errorf("want a per-day warning, got %+v", res.Warnings)
	}
}

func TestReconcileByAccount(t *testing.T) {
	// Both sides carry account numbers, so they decide, not the names:
	// two different patients with one name are kept apart.
	e := emr(line("Smith, John", 16, acct("1001"), cpt("97110", 1)), line("Smith, John", 16, acct("2002"), cpt("97110", 1)))
	e.Columns.Account = true
	b := bill(line("John Smith", 16, acct("001001"), cpt("97110", 1)))
	b.Columns.Account = true
	res, err := Reconcile([]*Report{e, b}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := res.Locations[0]
	if l.MatchedVisits != 1 || len(l.Mismatches) != 1 || l.Mismatches[0].Account != "2002" {
		t.Errorf("by account: %+v", l)
	}
}

func TestReconcileNewPatients(t *testing.T) {
	ics := func(n float64) *Report {
		r := build("ics.csv", rules.KindInsuranceClassSummary, rules.Line{NewPatients: n})
		r.Period = rules.Period{From: day(16), To: day(16)} // the dates balanced
		return r
	}
	e := emr(line("Smith, John", 16, cpt("97161", 1)), line("Smith, John", 16, cpt("97165", 1)),
		line("Doe, Jane", 16, cpt("97162", 1)), line("Roe, Rick", 16, cpt("97164", 1)))
	b := bill(line("John Smith", 16), line("Jane Doe", 16), line("Rick Roe", 16))

	res, err := Reconcile([]*Report{e, b, ics(2)}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	np := res.Locations[0].NewPatients
	if np == nil || np.EMR != 3 || np.Billing != 2 || np.SameDay != 1 {
		t.Fatalf("new patients = %+v, want EMR 3 (re-eval not counted), billing 2, 1 same-day", np)
	}
	if findWarning(res, rules.WarnNewPatientsSameDay) == nil || findWarning(res, rules.WarnNewPatients) != nil {
		t.Errorf("a same-day PT+OT evaluation is an explained difference: %+v", res.Warnings)
	}

	res, _ = Reconcile([]*Report{e, b, ics(1)}, rules.Options{})
	if findWarning(res, rules.WarnNewPatients) == nil {
		t.Errorf("3 evaluations against 1 new patient is not explained: %+v", res.Warnings)
	}
	res, _ = Reconcile([]*Report{e, b}, rules.Options{})
	if res.Locations[0].NewPatients != nil {
		t.Error("without an Insurance Class Summary new_patients must be null")
	}
	// A summary over the week against a balance of one day: its total
	// cannot be cut to the day, so nothing is claimed about billing.
	week := ics(1)
	week.Period = rules.Period{From: day(16), To: day(20)}
	res, _ = Reconcile([]*Report{e, b, week}, rules.Options{Period: rules.Period{From: day(16), To: day(16)}})
	w := findWarning(res, rules.WarnNewPatientsPeriod)
	if res.Locations[0].NewPatients != nil || findWarning(res, rules.WarnNewPatients) != nil || w == nil || w.File != "ics.csv" {
		t.Errorf("new patients over another period must not be compared: %+v %+v", res.Locations[0].NewPatients, res.Warnings)
	}
	if findWarning(res, rules.WarnNewPatientsLocation) != nil {
		t.Errorf("a summary left out for its period is not one that names no location: %+v", res.Warnings)
	}
}

func TestReconcileWarnings(t *testing.T) {
	e := emr(line("Smith, John", 16, cpt("97110", 2)), line("Doe, Jane", 16, cpt("97110", 1)))
	e.Stated = rules.Totals{Visits: ptr(3), Units: ptr(3)}
	e.DateBasis = "Finalized Date"
	b := bill(line("John Smith", 16, cpt("97110", 2)))
	b.GrandTotal = rules.Totals{Units: ptr(2)}
	ex := build("ex.csv", rules.KindBillingExceptions, line("Roe, Rick", 10), line("Roe, Rick", 11))
	cf := build("cf.csv", rules.KindClaimsFeed, line("Roe, Rick", 16, status(rules.StatusNotSent)), line("Doe, Jane", 16, status(rules.StatusNotRebilled)))
	res, err := Reconcile([]*Report{e, b, ex, cf}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	for _, w := range res.Warnings {
		codes[w.Code]++
		if w.Code == rules.WarnHeaderTotals && (w.Stated == nil || w.Found == nil || w.TotalOf == "" || w.TotalIn == "") {
			t.Errorf("a totals warning without its figures: %+v", w)
		}
	}
	want := map[string]int{rules.WarnHeaderTotals: 1, rules.WarnDateBasis: 1, rules.WarnBillingExceptions: 1, rules.WarnClaimsNotSent: 1, rules.WarnClaimsNotRebilled: 1}
	if !maps.Equal(codes, want) {
		t.Errorf("warning codes = %v, want %v", codes, want)
	}
	if w := findWarning(res, rules.WarnBillingExceptions); w.Count != 2 {
		t.Errorf("billing exceptions count = %d, want 2", w.Count)
	}
	if m := mismatchList(res.Locations[0]); !slices.Equal(m, []string{"emr 16 Doe, Jane claims_feed_not_rebilled"}) {
		t.Errorf("mismatches %q", m)
	}

	// An unexplained EMR visit with no exceptions report suggests pulling it.
	res, _ = Reconcile([]*Report{emr(line("Smith, John", 16, cpt("97110", 1))), bill()}, rules.Options{})
	if n := countWarnings(res, rules.WarnCheckMissing); n != 2 {
		t.Errorf("want suggestions for Billing Exceptions and Claims Feed, got %+v", res.Warnings)
	}
}

func findWarning(res *rules.Result, code string) *rules.Warning {
	for i := range res.Warnings {
		if res.Warnings[i].Code == code {
			return &res.Warnings[i]
		}
	}
	return nil
}

func countWarnings(res *rules.Result, code string) int {
	n := 0
	for _, w := range res.Warnings {
		if w.Code == code {
			n++
		}
	}
	return n
}

func TestReconcileIncompleteLocations(t *testing.T) {
	e := emr(line("Smith, John", 16, at("Downtown"), cpt("97110", 1)), line("Doe, Jane", 17, at("Uptown"), cpt("97110", 1)))
	b := bill(line("John Smith", 16, at("Downtown"), cpt("97110", 1)))

	// The command line shows Uptown, warning that billing lacks it.
	res, err := Reconcile([]*Report{e, b}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Locations) != 2 || res.Balanced {
		t.Fatalf("locations %+v", res.Locations)
	}
	if w := findWarning(res, rules.WarnMissingSide); w == nil || w.Location != "Uptown" || w.Side != rules.SideBilling {
		t.Errorf("want a missing-side warning for Uptown, got %+v", res.Warnings)
	}

	// The bot leaves Uptown out and says what it waits for.
	res, err = Reconcile([]*Report{e, b}, rules.Options{SkipIncomplete: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Locations) != 1 || res.Locations[0].Location != "Downtown" || !res.Balanced {
		t.Errorf("locations %+v", res.Locations)
	}
	want := []rules.Waiting{{Location: "Uptown", Missing: rules.SideBilling, Have: []string{"emr.csv"}, From: day(17), To: day(17), Visits: 1}}
	if fmt.Sprint(res.Waiting) != fmt.Sprint(want) {
		t.Errorf("waiting = %+v, want %+v", res.Waiting, want)
	}

	// With one side only, nothing is balanced and nothing is an error.
	res, err = Reconcile([]*Report{e}, rules.Options{SkipIncomplete: true})
	if err != nil || res.Balanced || len(res.Locations) != 0 || len(res.Waiting) != 2 {
		t.Errorf("one side only: %v %+v", err, res)
	}
}

// TestBuilderHashCollisions forces every visit key onto one hash: the exact
// keys must still keep visits apart and fold repeats together.
func TestBuilderHashCollisions(t *testing.T) {
	for _, collide := range []bool{false, true} {
		b := NewBuilder("emr.csv", rules.KindEMRBillingReport, rules.Columns{Name: true, CPT: true, Units: true}, nil)
		if collide {
			b.hashOf = func() uint64 { return 42 }
		}
		// Lines of one visit apart from each other, so the index is used.
		for _, l := range []rules.Line{
			line("Smith, John", 16, cpt("97110", 2)), line("Doe, Jane", 16, cpt("97110", 1)),
			line("Smith, John", 17, cpt("97110", 1)), line("JOHN SMITH", 16, cpt("97140", 1)),
			line("Doe, Jane", 16, cpt("NORCM", 0)), line("Smith, John", 17, at("Uptown"), cpt("97110", 1)),
		} {
			b.Add(&l)
		}
		r := b.Report()
		got := map[string]string{}
		for _, v := range r.Visits {
			got[fmt.Sprintf("%s/%s/%d", rules.NameKey(r.Patient(&v).Name), r.LocationOf(&v), v.DOS-day(0))] = fmt.Sprintf("count=%d lines=%d units=%g flags=%d", v.Count, v.Lines, v.Units, v.Flags)
		}
		want := map[string]string{
			"smith|john//16":       "count=1 lines=2 units=3 flags=0",
			"doe|jane//16":         "count=1 lines=2 units=1 flags=1",
			"smith|john//17":       "count=1 lines=1 units=1 flags=0",
			"smith|john/Uptown/17": "count=1 lines=1 units=1 flags=0",
		}
		if !maps.Equal(got, want) {
			t.Errorf("collide=%v: visits %v, want %v", collide, got, want)
		}
	}
}

// TestNameHashCollisions makes every name hash the same: the balance must
// notice that different patients share a hash and come out exactly as with
// real hashes, case by case.
func TestNameHashCollisions(t *testing.T) {
	cases := func() [][]*Report {
		return [][]*Report{
			{emr(line("Smith, John", 16, cpt("97110", 1)), line("Doe, Jane", 16, cpt("97110", 1)), line("Roe, Rick", 17, cpt("NORCM", 0))),
				bill(line("John Smith", 16, cpt("97110", 1)), line("Rick Roe", 18, cpt("97110", 1)), line("Ann Lee", 16, cpt("97110", 1)))},
			{build("dv.csv", rules.KindDocumentedVisits, line("Smith, John", 16), line("Smith, John", 16), line("Doe, Jane", 16)),
				build("du.csv", rules.KindDocumentedUnits, line("Doe, Jane", 16, cpt("97110", 1), dnb)),
				bill(line("John Smith", 16, visits(1)), line("Jane Doe", 17, visits(2)))},
			withAccounts(emr(line("Smith, John", 16, acct("1001"), cpt("97110", 1)), line("Smith, John", 16, acct("2002"), cpt("97110", 1))),
				bill(line("John Smith", 16, acct("001001"), cpt("97110", 1)), line("Ann Lee", 16, acct("3003"), cpt("97110", 1)))),
		}
	}
	render := func(res *rules.Result) string {
		var b strings.Builder
		for _, l := range res.Locations {
			fmt.Fprintf(&b, "%s e%d b%d m%d %v %v\n", l.Location, l.EMRVisits, l.BillingVisits, l.MatchedVisits, l.Reasons, mismatchList(l))
		}
		return b.String()
	}
	var want []string
	for _, reps := range cases() {
		res, err := Reconcile(reps, rules.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, render(res))
	}
	real := hashName
	hashName = func([]byte) uint64 { return 7 }
	defer func() { hashName = real }()
	for i, reps := range cases() {
		res, err := Reconcile(reps, rules.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := render(res); got != want[i] {
			t.Errorf("case %d with colliding hashes:\n got %s\nwant %s", i, got, want[i])
		}
	}
}

func withAccounts(reps ...*Report) []*Report {
	for _, r := range reps {
		r.Columns.Account = true
	}
	return reps
}

// Reports made by hand (AddVisit) or read back from the store's older
// JSON layout balance as the Builder's do, errors included: the location
// table and the text the visits refer to are made the same way.
func TestReportsMadeByHandBalanceTheSame(t *testing.T) {
	locs := []string{"Downtown", " downtown", "Uptown", "", "Lakeside Clinic"}
	names := []string{"Smith, John", "John Smith", "Doe, Jane", "Roe, Rick", "Lee, Ann", "Núñez, José"}
	byHand := func(r *Report) *Report {
		c := *r
		c.Visits, c.text, c.locs = nil, nil, nil
		for i := range r.Visits {
			v := r.Visits[i]
			c.AddVisit(r.LocationOf(&v), r.Patient(&v), v)
		}
		return &c
	}
	viaJSON := func(r *Report) *Report {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var c Report
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	outcome := func(reps []*Report) string {
		res, err := Reconcile(reps, rules.Options{})
		if err != nil {
			return "error: " + err.Error()
		}
		b, _ := json.Marshal(res)
		return string(b)
	}
	failures := 0
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		side := func(name string, k rules.Kind) *Report {
			var lines []rules.Line
			for range rng.IntN(12) {
				l := line(names[rng.IntN(len(names))], 16+rng.IntN(3), cpt("97110", 1))
				l.Location = locs[rng.IntN(len(locs))]
				lines = append(lines, l)
			}
			r := build(name, k, lines...)
			if rng.IntN(4) == 0 {
				r.Location = locs[rng.IntN(len(locs))]
			}
			return r
		}
		reps := []*Report{side("emr.csv", rules.KindEMRBillingReport), side("cas.csv", rules.KindChargeAuditSummary)}
		with := outcome(reps)
		for how, remake := range map[string]func(*Report) *Report{"by hand": byHand, "from JSON": viaJSON} {
			if again := outcome([]*Report{remake(reps[0]), remake(reps[1])}); again != with {
				t.Fatalf("seed %d: from the Builder\n%s\n%s\n%s", seed, with, how, again)
			}
		}
		if strings.HasPrefix(with, "error") {
			failures++
		}
	}
	if failures == 0 {
		t.Error("no case reached the error for a file without a location among several")
	}
}

// A Builder keeps its report's date span and visit count as lines come;
// they must be what a pass over the finished visits gives, for every kind,
// or the balance would filter and count from wrong figures.
func TestBuilderSumsAsItGoes(t *testing.T) {
	kinds := []rules.Kind{rules.KindEMRBillingReport, rules.KindDocumentedVisits, rules.KindChargeAuditSummary, rules.KindDocumentedUnits, rules.KindClaimsFeed, rules.KindBillingExceptions}
	names := []string{"Smith, John", "Doe, Jane", "Roe, Rick", ""}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 11))
		k := kinds[rng.IntN(len(kinds))]
		var lines []rules.Line
		for range rng.IntN(30) {
			l := line(names[rng.IntN(len(names))], 1+rng.IntN(28), cpt([]string{"97110", "NORCM", "97161"}[rng.IntN(3)], float64(rng.IntN(3))))
			if rng.IntN(8) == 0 {
				l.DOS = 0 // undated, as a hand-made report may be
			}
			if k == rules.KindChargeAuditSummary && rng.IntN(2) == 0 {
				l.Visits = float64(rng.IntN(3))
			}
			lines = append(lines, l)
		}
		r := build("r.csv", k, lines...)
		if !r.summed {
			t.Fatal("a Builder's report is not summed")
		}
		if got, want := r.VisitCount(), r.countVisits(); got != want {
			t.Fatalf("seed %d, %s: VisitCount %d, a pass gives %d", seed, k, got, want)
		}
		if got, want := r.DateSpan(), r.dateSpan(); got != want {
			t.Fatalf("seed %d, %s: DateSpan %v, a pass gives %v", seed, k, got, want)
		}
		undated := slices.ContainsFunc(r.Visits, func(v Visit) bool { return v.DOS.IsZero() })
		if r.undated != undated {
			t.Fatalf("seed %d: undated %v, want %v", seed, r.undated, undated)
		}
		p := rules.Period{From: day(rng.IntN(10) + 1), To: day(rng.IntN(10) + 18)}
		every := true
		for _, v := range r.Visits {
			every = every && p.Contains(v.DOS)
		}
		if r.within(p) && !every {
			t.Fatalf("seed %d: within(%v) but some visit is outside", seed, p)
		}
		if every && !undated && !r.within(p) && len(r.Visits) > 0 {
			t.Fatalf("seed %d: every visit is within %v but within is false", seed, p)
		}
	}
}

// The Builder folds a run of lines with one key before it looks the key up,
// and merges a later run of the same key into its visit. Whatever the order
// of lines, every kind must fold as a plain fold line by line into a map
// would: one visit per key, in the order keys first appear, with the same
// count, lines, units and flags. Forcing every key onto one hash also runs
// the exact comparison after a fingerprint matches.
func TestBuilderFoldsLikeAMap(t *testing.T) {
	kinds := []rules.Kind{rules.KindEMRBillingReport, rules.KindDocumentedVisits, rules.KindChargeAuditSummary, rules.KindDocumentedUnits, rules.KindClaimsFeed, rules.KindBillingExceptions}
	names := []string{"Smith, John", "JOHN SMITH", "Doe, Jane", "", "Núñez, José"}
	type key struct {
		loc, name, id, acct string
		dos                 rules.Date
	}
	type folded struct {
		count, lines int32
		units, ie    float64
		flags        rules.Flag
	}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 5))
		k := kinds[rng.IntN(len(kinds))]
		cols := rules.Columns{Name: true, CPT: true, Units: true, Visits: rng.IntN(2) == 0}
		b := NewBuilder("r.csv", k, cols, nil)
		if rng.IntN(3) == 0 {
			b.hashOf = func() uint64 { return 42 }
		}
		var order []key
		want := map[key]*folded{}
		for range rng.IntN(40) {
			l := line(names[rng.IntN(len(names))], 16+rng.IntN(3),
				cpt([]string{"97110", "NORCM", "NC001", "97161"}[rng.IntN(4)], float64(rng.IntN(4))/2))
			l.Location = []string{"", "Uptown", "Downtown"}[rng.IntN(3)]
			if rng.IntN(5) == 0 {
				l.Patient.ID = "P" + strconv.Itoa(rng.IntN(2))
			}
			if rng.IntN(5) == 0 {
				l.Patient.Account = "A" + strconv.Itoa(rng.IntN(2))
			}
			l.Visits = float64(rng.IntN(3))
			l.DoNotBill = rng.IntN(4) == 0
			l.Status = rules.ClaimStatus(rng.IntN(3))
			// Runs: the same key again, often.
			for range 1 + rng.IntN(3) {
				b.Add(&l)
				kk := key{l.Location, rules.NameKey(l.Patient.Name), l.Patient.ID, l.Patient.Account, l.DOS}
				f := want[kk]
				if f == nil {
					f = &folded{}
					want[kk] = f
					order = append(order, kk)
				}
				// The plain fold, line by line.
				f.lines++
				f.units += l.Units
				switch k {
				case rules.KindEMRBillingReport:
					f.count = 1
					f.flags |= map[string]rules.Flag{"NORCM": rules.FlagNORCM, "NC001": rules.FlagNoCharge}[l.CPT]
					if l.CPT == "97161" {
						f.ie += l.Units
					}
				case rules.KindDocumentedVisits:
					f.count++
				case rules.KindChargeAuditSummary:
					if cols.Visits {
						f.count += int32(l.Visits)
					} else {
						f.count = 1
					}
				case rules.KindDocumentedUnits:
					f.count = 1
					if l.DoNotBill {
						f.flags |= rules.FlagDoNotBill
					}
					if l.Units > 0 {
						f.flags |= rules.FlagBilledUnits
					}
					if l.CPT == "97161" {
						f.ie += l.Units
					}
				case rules.KindClaimsFeed:
					f.count++
					f.flags |= map[rules.ClaimStatus]rules.Flag{rules.StatusNotSent: rules.FlagNotSent, rules.StatusNotRebilled: rules.FlagNotRebilled}[l.Status]
				case rules.KindBillingExceptions:
					f.count++
					f.flags |= rules.FlagException
				}
			}
		}
		r := b.Report()
		if len(r.Visits) != len(order) {
			t.Fatalf("seed %d, %s: %d visits, want %d", seed, k, len(r.Visits), len(order))
		}
		total := 0
		for i, v := range r.Visits {
			p := r.Patient(&v)
			kk := key{r.LocationOf(&v), rules.NameKey(p.Name), p.ID, p.Account, v.DOS}
			if kk != order[i] {
				t.Fatalf("seed %d, %s: visit %d is %+v, want %+v", seed, k, i, kk, order[i])
			}
			f := want[kk]
			got := folded{v.Count, v.Lines, v.Units, v.IEUnits, v.Flags}
			if got != *f {
				t.Fatalf("seed %d, %s: visit %+v folded to %+v, want %+v", seed, k, kk, got, *f)
			}
			total += int(v.Count)
		}
		if r.VisitCount() != total {
			t.Fatalf("seed %d: VisitCount %d, visits add up to %d", seed, r.VisitCount(), total)
		}
	}
}
