package rules

import (
	"iter"
	"maps"
	"reflect"
	"slices"
	"testing"
)

func d(n int) Date { return DateOf(2026, 11, n) }

func TestResolvePeriod(t *testing.T) {
	week := Period{From: d(16), To: d(20)}
	for _, c := range []struct {
		name          string
		given         Period
		stated, found Sides[Period]
		want          Period
		warn, fail    bool
	}{
		{"the user's", Period{From: d(17), To: d(18)}, Sides[Period]{week, week}, Sides[Period]{}, Period{From: d(17), To: d(18)}, false, false},
		{"the user's, backwards", Period{From: d(18), To: d(17)}, Sides[Period]{}, Sides[Period]{}, Period{}, false, true},
		{"both sides state the same", Period{}, Sides[Period]{week, week}, Sides[Period]{}, week, false, false},
		{"the dates both sides cover", Period{}, Sides[Period]{{From: d(16), To: d(22)}, week}, Sides[Period]{}, week, true, false},
		{"no shared dates", Period{}, Sides[Period]{{From: d(2), To: d(6)}, week}, Sides[Period]{}, Period{}, false, true},
		{"one side states", Period{}, Sides[Period]{{}, week}, Sides[Period]{{From: d(1), To: d(30)}}, week, false, false},
		{"the dates found", Period{}, Sides[Period]{}, Sides[Period]{{From: d(17), To: d(19)}, {From: d(16), To: d(18)}}, Period{From: d(16), To: d(19)}, false, false},
		{"one bound given", Period{To: d(18)}, Sides[Period]{week, week}, Sides[Period]{}, Period{From: d(16), To: d(18)}, false, false},
	} {
		got, w, err := ResolvePeriod(c.given, c.stated, c.found)
		if (err != nil) != c.fail || got != c.want || (w != nil) != c.warn {
			t.Errorf("%s: %s, warning %v, error %v; want %s, warning %v, error %v", c.name, got, w, err, c.want, c.warn, c.fail)
		}
		if c.name == "no shared dates" && ErrorFix(err) != FixPeriod {
			t.Errorf("no shared dates: the fix is to give the period, got %q", ErrorFix(err))
		}
	}
}

func TestVisitLocation(t *testing.T) {
	for _, c := range []struct {
		name             string
		row, report      string
		role             Role
		fallback         string
		several          bool
		want             string
		wantAny, wantBad bool
	}{
		{"the row's", "uptown", "downtown", RoleVisits, "", true, "uptown", false, false},
		{"the report's", "", "downtown", RoleVisits, "", true, "downtown", false, false},
		{"the fallback", "", "", RoleVisits, "downtown", true, "downtown", false, false},
		{"a check report's for every location", "", "", RoleCheck, "downtown", true, "", true, false},
		{"none of several", "", "", RoleVisits, "", true, "", false, true},
		{"none, and none named", "", "", RoleVisits, "", false, "", false, false},
	} {
		got, any, ok := VisitLocation(c.row, c.report, c.role, c.fallback, c.several)
		if got != c.want || any != c.wantAny || ok == c.wantBad {
			t.Errorf("%s: %q any %v ok %v", c.name, got, any, ok)
		}
	}
	if got := LocationFallback("Down Town", []string{"uptown", "downtown"}); got != "downtown" {
		t.Errorf("the user's location is the fallback: %q", got)
	}
	if got := LocationFallback("", []string{"uptown"}); got != "uptown" {
		t.Errorf("the one location named is the fallback: %q", got)
	}
	if got := LocationFallback("", []string{"uptown", "downtown"}); got != "" {
		t.Errorf("no fallback among several: %q", got)
	}
}

func TestLatest(t *testing.T) {
	visits := func(l string, days ...int) func(func(string, Date) bool) {
		return func(yield func(string, Date) bool) {
			for _, n := range days {
				if !yield(l, d(n)) {
					return
				}
			}
		}
	}
	cas := KindChargeAuditSummary
	old := Covers(cas, Period{From: d(16), To: d(20)}, []string{"downtown"}, visits("downtown", 16, 17))
	fix := Covers(cas, Period{From: d(17), To: d(17)}, []string{"downtown"}, visits("downtown", 17))
	uptown := Covers(cas, Period{From: d(16), To: d(20)}, []string{"uptown"}, visits("uptown", 16))
	emr := Covers(KindEMRBillingReport, Period{From: d(16), To: d(20)}, []string{"downtown"}, visits("downtown", 16))
	owner, replaced := Latest([]iter.Seq[Slot[string]]{old, fix, uptown, emr})
	for _, c := range []struct {
		s    Slot[string]
		want int
	}{
		{Slot[string]{cas, "downtown", d(16)}, 0},
		{Slot[string]{cas, "downtown", d(17)}, 1}, // the corrected export
		{Slot[string]{cas, "uptown", d(16)}, 2},   // another location: no replacement
		{Slot[string]{KindEMRBillingReport, "downtown", d(16)}, 3},
	} {
		if got := owner[c.s]; got != c.want {
			t.Errorf("%v is owned by %d, want %d", c.s, got, c.want)
		}
	}
	want := []Replacement{{Old: 0, New: 1, Dates: Period{From: d(17), To: d(17)}}}
	if !slices.Equal(replaced, want) {
		t.Errorf("replacements %+v, want %+v", replaced, want)
	}
}

func TestChooseIdentity(t *testing.T) {
	r := func(c Columns) VisitReport { return VisitReport{Name: "r.csv", Columns: c} }
	name, acct, pid := Columns{Name: true}, Columns{Name: true, Account: true}, Columns{Name: true, PatientID: true}
	for _, c := range []struct {
		name         string
		emr, billing []VisitReport
		want         Identity
		fail         bool
	}{
		{"names", []VisitReport{r(name)}, []VisitReport{r(acct)}, ByName, false},
		{"an account on both sides", []VisitReport{r(acct)}, []VisitReport{r(acct)}, ByAccount, false},
		{"a patient id on both sides", []VisitReport{r(pid)}, []VisitReport{r(pid)}, ByPatientID, false},
		{"different kinds of id never match", []VisitReport{r(pid)}, []VisitReport{r(acct)}, ByName, false},
		{"billing with no patient", []VisitReport{r(name)}, []VisitReport{r(Columns{Visits: true})}, ByDay, false},
		{"ids of different kinds and no name", []VisitReport{r(Columns{PatientID: true})}, []VisitReport{r(Columns{Account: true})}, ByName, true},
	} {
		got, err := ChooseIdentity("Downtown", c.emr, c.billing)
		if got != c.want || (err != nil) != c.fail {
			t.Errorf("%s: %v, %v", c.name, got, err)
		}
	}
	if Who(ByAccount, SideBilling, Patient{Account: "00123"}) != Who(ByAccount, SideEMR, Patient{Account: "123 "}) {
		t.Error("accounts compare without leading zeros and spaces")
	}
	if Who(ByDay, SideBilling, Patient{Name: "Smith, John"}) != "" || Who(ByDay, SideEMR, Patient{Name: "Smith, John"}) == "" {
		t.Error("per day, billing has no patients and the EMR keeps its own")
	}
}

func TestCompareNewPatients(t *testing.T) {
	for _, c := range []struct {
		emr, same, billing float64
		want               NewPatients
	}{
		{3, 0, 3, NewPatients{EMR: 3, Billing: 3}},
		{4, 1, 3, NewPatients{EMR: 4, Billing: 3, SameDay: 1}},
		{5, 1, 3, NewPatients{EMR: 5, Billing: 3, SameDay: 1}}, // one of the two explained
		{3, 1, 3, NewPatients{EMR: 3, Billing: 3}},             // nothing to explain
	} {
		if got := CompareNewPatients(c.emr, c.same, c.billing); !reflect.DeepEqual(*got, c.want) {
			t.Errorf("CompareNewPatients(%v, %v, %v) = %+v, want %+v", c.emr, c.same, c.billing, *got, c.want)
		}
	}
	if !NewPatientsCount("", "", "downtown", true) || NewPatientsCount("", "", "downtown", false) || !NewPatientsCount("", "downtown", "downtown", false) {
		t.Error("NewPatientsCount")
	}
}

func TestReportWarnings(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	got := ReportWarnings([]ReportFacts{
		{Name: "emr.csv", Kind: KindEMRBillingReport, DateBasis: "Date of Service", Stated: Totals{Visits: f(45), Units: f(149)}, Visits: 45, Units: 148, Outside: 2},
		{Name: "cas.csv", Kind: KindChargeAuditSummary, DateBasis: "Created Date", GrandTotal: Totals{Visits: f(41)}, Visits: 41},
		{Name: "ex.csv", Kind: KindBillingExceptions, Visits: 2, Outside: 5},
		{Name: "cf.csv", Kind: KindClaimsFeed, NotSent: 1, NotRebilled: 2},
	}, Period{From: d(16), To: d(20)})
	codes := map[string]int{}
	for _, w := range got {
		codes[w.Code] += max(w.Count, 1)
	}
	want := map[string]int{WarnHeaderTotals: 1, WarnOutsidePeriod: 2, WarnDateBasis: 1, WarnBillingExceptions: 2, WarnClaimsNotSent: 1, WarnClaimsNotRebilled: 2}
	if !maps.Equal(codes, want) {
		t.Errorf("warnings %v, want %v", codes, want)
	}
}

func TestCovering(t *testing.T) {
	week := Period{From: d(16), To: d(22)}
	mon, monFri := Period{From: d(16), To: d(16)}, Period{From: d(16), To: d(20)}
	covs := Covering([]Held{
		{Kind: KindEMRBillingReport, Locations: []string{"Downtown"}, Period: monFri},
		{Kind: KindEMRBillingReport, Locations: []string{"Uptown"}, Period: mon},
		{Kind: KindChargeAuditSummary, Period: monFri},                                // names no location: counts for both
		{Kind: KindBillingExceptions, Locations: []string{"Midtown"}, Period: week},   // a check report adds to no new location
		{Kind: KindEMRBillingReport, Locations: []string{"DOWNTOWN"}, Period: monFri}, // replaces the first wholly
	}, week, nil)
	// The replaced export's spelling is gone with it.
	if len(covs) != 2 || covs[0].Location != "DOWNTOWN" || covs[1].Location != "Uptown" {
		t.Fatalf("locations: %q, %q", covs[0].Location, covs[len(covs)-1].Location)
	}
	down, up := covs[0], covs[1]
	if n := down.Kinds[SideEMR.Index()][KindEMRBillingReport]; n != 1 {
		t.Errorf("a wholly replaced export still counts: %d EMR reports at Downtown", n)
	}
	if got := down.Missing(SideBilling, week); len(got) != 0 {
		t.Errorf("billing naming no location covers Downtown: missing %v", got)
	}
	if got := up.Missing(SideEMR, week); !slices.Equal(got, []Date{d(17), d(18), d(19), d(20)}) {
		t.Errorf("Uptown's EMR side is missing Tuesday to Friday, not the weekend: %v", got)
	}
	if got := Both(covs, week); got != monFri {
		t.Errorf("both sides cover %s at some location, want %s", got, monFri)
	}

	// The EMR's Downtown and billing's DOWNTOWN PT are paired, as the
	// balance pairs them, and nothing is missing; mapped apart, they are
	// not.
	named := []Held{
		{Kind: KindEMRBillingReport, Locations: []string{"Downtown"}, Period: monFri},
		{Kind: KindChargeAuditSummary, Locations: []string{"DOWNTOWN PT"}, Period: monFri},
	}
	covs = Covering(named, week, nil)
	if len(covs) != 1 || covs[0].Location != "Downtown" || len(covs[0].Missing(SideBilling, week)) != 0 {
		t.Errorf("paired coverage: %+v", covs)
	}
	apart := LocationMap{}
	apart.Map("DOWNTOWN PT", "DOWNTOWN PT")
	if covs = Covering(named, week, apart); len(covs) != 2 {
		t.Errorf("a mapped name is not paired: %d locations", len(covs))
	}
}

func TestParseClaimStatus(t *testing.T) {
	for s, want := range map[string]ClaimStatus{
		"":                        StatusOther,
		"Transmission Successful": StatusOther,
		"SUCCESS":                 StatusOther,
		"Sent":                    StatusOther,
		"Transmitted":             StatusOther,
		"NOT RE-BILLED":           StatusNotRebilled,
		"Not Rebilled":            StatusNotRebilled,
		"Not Sent":                StatusNotSent,
		"Transmission Failed":     StatusNotSent,
		"Error":                   StatusNotSent,
		"Pending":                 StatusNotSent,
		"Not Transmitted":         StatusNotSent,
	} {
		if got := ParseClaimStatus(s); got != want {
			t.Errorf("ParseClaimStatus(%q) = %v, want %v", s, got, want)
		}
	}
}
