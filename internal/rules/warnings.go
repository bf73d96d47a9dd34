package rules

import (
	"math"
	"slices"
)

// ReportFacts is what the warnings need to know of one report given.
type ReportFacts struct {
	Name      string
	Kind      Kind
	DateBasis string
	// Stated and GrandTotal are the totals the report prints; Visits and
	// Units what its rows give.
	Stated, GrandTotal Totals
	Visits             int
	Units              float64
	// Outside counts its visits dated outside the period, left out.
	Outside int
	// NotSent and NotRebilled count a Claims Feed's items by status.
	NotSent, NotRebilled int
	// Period is the range the report states it covers.
	Period Period
}

// ReportWarnings lists what the reports themselves say to look at before
// trusting the balance: a date basis other than date of service, totals
// that disagree with the rows, visits outside the period, then open
// Billing Exceptions and Claims Feed items.
func ReportWarnings(reports []ReportFacts, period Period) []Warning {
	var out []Warning
	var exceptions, notSent, notRebilled int
	for _, r := range reports {
		switch r.Kind {
		case KindBillingExceptions:
			exceptions += r.Visits
		case KindClaimsFeed:
			notSent += r.NotSent
			notRebilled += r.NotRebilled
		}
		if r.Kind == KindInsuranceClassSummary && !NewPatientsComparable(r.Period, period) {
			stated, p := r.Period, period
			out = append(out, Warning{Code: WarnNewPatientsPeriod, File: r.Name, Kind: r.Kind, BillingPeriod: &stated, Period: &p})
		}
		if r.DateBasis != "" && !IsDOSBasis(r.DateBasis) {
			out = append(out, Warning{Code: WarnDateBasis, File: r.Name, Kind: r.Kind, DateBasis: r.DateBasis})
		}
		if r.Kind.Role() == RoleVisits {
			out = append(out, totalsWarnings(r, TotalHeader, r.Stated)...)
			out = append(out, totalsWarnings(r, TotalGrandRow, r.GrandTotal)...)
			if r.Outside > 0 {
				p := period
				out = append(out, Warning{Code: WarnOutsidePeriod, File: r.Name, Count: r.Outside, Period: &p})
			}
		}
	}
	if exceptions > 0 {
		out = append(out, Warning{Code: WarnBillingExceptions, Count: exceptions})
	}
	if notSent > 0 {
		out = append(out, Warning{Code: WarnClaimsNotSent, Count: notSent})
	}
	if notRebilled > 0 {
		out = append(out, Warning{Code: WarnClaimsNotRebilled, Count: notRebilled})
	}
	return out
}

func totalsWarnings(r ReportFacts, in string, t Totals) []Warning {
	var out []Warning
	if t.Visits != nil {
		if got := float64(r.Visits); math.Abs(got-*t.Visits) > 0.001 {
			out = append(out, Warning{Code: WarnHeaderTotals, File: r.Name, TotalIn: in, TotalOf: TotalVisits, Stated: ptr(*t.Visits), Found: ptr(got)})
		}
	}
	if t.Units != nil {
		if got := r.Units; math.Abs(got-*t.Units) > 0.001 {
			out = append(out, Warning{Code: WarnHeaderTotals, File: r.Name, TotalIn: in, TotalOf: TotalUnits, Stated: ptr(*t.Units), Found: ptr(got)})
		}
	}
	return out
}

// IsDOSBasis reports whether a report's stated date type is date of
// service.
func IsDOSBasis(s string) bool {
	k := LocationKey(s)
	return k == "dateofservice" || k == "dos" || k == "servicedate" || k == "visitdate"
}

// ResultWarnings lists what the balance itself shows to look at: billing
// given per day only, new patients that differ, an Insurance Class Summary
// that could not be placed, and the check reports not given that could
// explain what is left unexplained. given lists the kinds of the reports
// given; named the locations the visit reports name.
func ResultWarnings(res *Result, given []Kind, named []string) []Warning {
	var out []Warning
	has := func(k Kind) bool { return slices.Contains(given, k) }
	emrUnexplained := 0
	for i := range res.Locations {
		l := &res.Locations[i]
		if l.PerDay {
			out = append(out, Warning{Code: WarnPerDay, Location: l.Location, Count: l.Reasons[ReasonUnexplained]})
		}
		if np := l.NewPatients; np != nil && math.Abs(np.EMR-np.Billing) > 0.001 {
			if !NewPatientsDiffer(np) {
				out = append(out, Warning{Code: WarnNewPatientsSameDay, Location: l.Location, Count: int(np.SameDay), EMR: ptr(np.EMR), Billing: ptr(np.Billing)})
			} else {
				out = append(out, Warning{Code: WarnNewPatients, Location: l.Location, Count: int(math.Abs(np.EMR - np.Billing)),
					EMR: ptr(np.EMR), Billing: ptr(np.Billing), Evaluations: np.Evaluations})
			}
		}
		for _, m := range l.Mismatches {
			if m.Side == SideEMR && m.Reason == ReasonUnexplained {
				emrUnexplained++
			}
		}
	}
	if has(KindInsuranceClassSummary) && !slices.ContainsFunc(res.Locations, func(l Location) bool { return l.NewPatients != nil }) {
		out = append(out, Warning{Code: WarnNewPatientsLocation, Locations: named})
	}
	if emrUnexplained == 0 {
		return out
	}
	suggest := func(k Kind) {
		if !has(k) {
			out = append(out, Warning{Code: WarnCheckMissing, Count: emrUnexplained, Kind: k})
		}
	}
	suggest(KindBillingExceptions)
	if has(KindEMRBillingReport) {
		suggest(KindClaimsFeed)
	}
	if has(KindDocumentedVisits) {
		suggest(KindDocumentedUnits)
	}
	return out
}

func ptr(f float64) *float64 { return &f }
