package rules

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
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

// LocationMap says which location a name found in an export means: the
// user's map (reconcile --location-map; /balance location in Slack). Names
// are compared normalised (LocationKey).
type LocationMap map[string]string

// Map adds that name means location.
func (m LocationMap) Map(name, location string) {
	if k := LocationKey(name); k != "" {
		m[k] = strings.TrimSpace(location)
	}
}

// Resolve is the location a name means: what the map says, else the name.
func (m LocationMap) Resolve(name string) string {
	if l, ok := m[LocationKey(name)]; ok {
		return l
	}
	return name
}

// Has reports whether the map says what name means; a mapped name is
// never paired by guess.
func (m LocationMap) Has(name string) bool {
	_, ok := m[LocationKey(name)]
	return ok
}

// genericWords are the words location names carry beside the clinic's own
// name, dropped when names are set side by side ("DOWNTOWN PT" and
// "Downtown Clinic" are both "downtown").
var genericWords = map[string]bool{
	"pt": true, "ot": true, "slp": true, "physical": true, "occupational": true, "speech": true,
	"therapy": true, "therapies": true, "rehab": true, "rehabilitation": true, "clinic": true, "center": true,
	"centre": true, "llc": true, "inc": true, "and": true, "the": true, "of": true,
}

// locationWords are a location name's own words: lower-cased, split at
// anything but letters and digits, generic words dropped.
func locationWords(name string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if !genericWords[w] {
			out = append(out, w)
		}
	}
	return out
}

// Plausible reports whether two location names may be one clinic named by
// two systems: once generic words (PT, Clinic, Rehab, LLC, ...) are
// dropped, one name's words are all among the other's.
func Plausible(a, b string) bool {
	wa, wb := locationWords(a), locationWords(b)
	if len(wa) == 0 || len(wb) == 0 {
		return false
	}
	if len(wa) > len(wb) {
		wa, wb = wb, wa
	}
	for _, w := range wa {
		if !slices.Contains(wb, w) {
			return false
		}
	}
	return true
}

// LocationPair is an EMR location and a billing location balanced as one,
// under the EMR's name.
type LocationPair struct{ EMR, Billing string }

// PairLocations pairs the locations one side has and the other lacks:
// an EMR-only location and a billing-only one are paired when each is the
// other's only plausible partner among them. Each pair is found on its own.
// It returns the pairs, and the locations of each side left unpaired, in
// the order given.
func PairLocations(emrOnly, billingOnly []string) (pairs []LocationPair, emrLeft, billingLeft []string) {
	partners := func(name string, among []string) []string {
		var out []string
		for _, o := range among {
			if Plausible(name, o) {
				out = append(out, o)
			}
		}
		return out
	}
	paired := map[string]bool{}
	for _, e := range emrOnly {
		ps := partners(e, billingOnly)
		if len(ps) == 1 && len(partners(ps[0], emrOnly)) == 1 {
			pairs = append(pairs, LocationPair{EMR: e, Billing: ps[0]})
			paired[e], paired["\x00"+ps[0]] = true, true
			continue
		}
		emrLeft = append(emrLeft, e)
	}
	for _, b := range billingOnly {
		if !paired["\x00"+b] {
			billingLeft = append(billingLeft, b)
		}
	}
	return pairs, emrLeft, billingLeft
}
