package rules

import (
	"fmt"
	"strings"
)

// LocationFallback is where a visit report's visits go when neither the
// row nor the report names a location: the location the user gave, else
// the one location the visit reports name (named, as keys), else none.
func LocationFallback(given string, named []string) string {
	switch {
	case given != "":
		return LocationKey(given)
	case len(named) == 1:
		return named[0]
	}
	return ""
}

// VisitLocation says at which location key a visit is balanced: its row's
// location, else its report's, else the fallback. A check report's visit
// that names none is for every location (any). A visit report's visit
// that names none, with no fallback while the visit reports name several
// locations, cannot be placed: ok is false.
func VisitLocation(rowKey, reportKey string, role Role, fallback string, several bool) (key string, any, ok bool) {
	switch {
	case rowKey != "":
		return rowKey, false, true
	case reportKey != "":
		return reportKey, false, true
	case role == RoleCheck:
		return "", true, true
	case fallback == "" && several:
		return "", false, false
	}
	return fallback, false, true
}

// ErrNoLocation is the error for a report whose visits cannot be placed
// (VisitLocation's ok is false); names lists the locations named.
func ErrNoLocation(file string, k Kind, names []string) *Error {
	e := FileErrorf(file, "this %s names no location, and the other files name several (%s). Say which location it is for.",
		k.Title(), strings.Join(names, ", "))
	e.Fix = FixLocation
	return e
}

// ErrNoSide says that the reports given have no EMR side, or no billing
// side, to balance; given lists them.
func ErrNoSide(missing Side, given []VisitReportKind) *Error {
	var names []string
	for _, g := range given {
		names = append(names, fmt.Sprintf("%s (%s)", g.Name, g.Kind.Title()))
	}
	got := "No files were given."
	if len(names) > 0 {
		got = "Given: " + strings.Join(names, ", ") + "."
	}
	if missing == SideEMR {
		return Errorf("No EMR side to balance: add an EMR Billing Report (SOAP 1.0: %s) or a Documented Visits report (SOAP 2.0: %s). %s",
			KindEMRBillingReport.HowToPull(), KindDocumentedVisits.HowToPull(), got)
	}
	return Errorf("No billing side to balance: add the Charge Audit Summary (%s). %s",
		KindChargeAuditSummary.HowToPull(), got)
}

// VisitReportKind names a report given and its kind.
type VisitReportKind struct {
	Name string
	Kind Kind
}

// MissingSide is the side that no visit report covers a location for, or
// "" when both do: such a location cannot be balanced yet.
func MissingSide(emr, billing bool) Side {
	switch {
	case !emr:
		return SideEMR
	case !billing:
		return SideBilling
	}
	return ""
}
