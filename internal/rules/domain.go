package rules

import (
	"sort"
	"strings"
)

// Patient is who a visit is for, as one report writes it. Name is kept as
// written for display; matching uses NameKey(Name), or an id when both
// sides carry the same kind of id.
type Patient struct {
	Name    string `json:"name,omitempty"`
	ID      string `json:"id,omitempty"`      // EMR patient id (MRN)
	Account string `json:"account,omitempty"` // billing account number
}

// Line is one data row of an export, decoded into what the balance uses.
// Readers produce Lines; a Builder folds them into a Report.
type Line struct {
	Location string
	Patient  Patient
	DOS      Date
	// CPT is the procedure code without modifiers, upper case ("97110",
	// "NORCM", "NC001"); empty when the report has no CPT column.
	CPT   string
	Units float64
	// Visits is the row's Visits column, when the report has one.
	Visits    float64
	DoNotBill bool
	Status    ClaimStatus
	// NewPatients is the Insurance Class Summary's New Patients cell.
	NewPatients float64
	// Detail is what helps to work the visit: its therapist, and the
	// exception type or the Claims Feed status as written.
	Detail Detail
}

// Detail is what the exports say that helps a person work a visit: the
// therapist (Provider), and the Billing Exceptions Report's exception type
// or reason or the Claims Feed's status as written (Note).
type Detail struct {
	Provider string `json:"provider,omitempty"`
	Note     string `json:"note,omitempty"`
	// Code is the visit's initial-evaluation code, when it has one.
	Code string `json:"code,omitempty"`
}

// IsZero reports whether d says nothing.
func (d Detail) IsZero() bool { return d == Detail{} }

// Filled is d completed with what e says and d lacks: a visit's detail
// gathers its lines' (the therapist on one, the evaluation's code on
// another).
func (d Detail) Filled(e Detail) Detail {
	if d.Provider == "" {
		d.Provider = e.Provider
	}
	if d.Note == "" {
		d.Note = e.Note
	}
	if d.Code == "" {
		d.Code = e.Code
	}
	return d
}

// ClaimStatus is a Claims Feed transmission status, reduced to what the
// balance distinguishes.
type ClaimStatus uint8

// Claims Feed statuses.
const (
	StatusOther ClaimStatus = iota
	StatusNotSent
	StatusNotRebilled
)

// Flag marks what is known about a visit from the reports that mention it.
type Flag uint16

// Visit flags.
const (
	FlagNORCM       Flag = 1 << iota // a NORCM line on the EMR Billing Report
	FlagNoCharge                     // an NC001 line (No Charges this Visit)
	FlagDoNotBill                    // Documented Units: note finalized Do Not Bill
	FlagBilledUnits                  // Documented Units: some line has units > 0
	FlagNotSent                      // Claims Feed: Not Sent
	FlagNotRebilled                  // Claims Feed: Not Re-Billed
	FlagException                    // Billing Exceptions lists it
)

// Columns says which optional columns a report carries. Whether both sides
// carry the same kind of patient id decides how patients are matched.
type Columns struct {
	Name      bool `json:"name,omitempty"`
	PatientID bool `json:"patient_id,omitempty"`
	Account   bool `json:"account,omitempty"`
	Location  bool `json:"location,omitempty"`
	Units     bool `json:"units,omitempty"`
	Visits    bool `json:"visits,omitempty"`
	CPT       bool `json:"cpt,omitempty"`
}

// Totals are visit and unit totals; nil fields are unknown.
type Totals struct {
	Visits *float64 `json:"visits,omitempty"`
	Units  *float64 `json:"units,omitempty"`
}

// LocationKey is how location names compare: case, spacing and punctuation
// do not matter ("DOWNTOWN clinic" is "Downtown Clinic").
func LocationKey(l string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(l) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c > 127 {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// CodeSet is a set of CPT codes, compared without modifiers and case.
type CodeSet map[string]bool

// NewCodeSet builds a set from codes such as "97161" or "97161-GP".
func NewCodeSet(codes ...string) CodeSet {
	s := CodeSet{}
	for _, c := range codes {
		if base, _ := SplitCPT(c); base != "" {
			s[base] = true
		}
	}
	return s
}

// Has reports whether base is in the set.
func (s CodeSet) Has(base string) bool { return s[base] }

// Codes lists the set, sorted.
func (s CodeSet) Codes() []string {
	out := make([]string, 0, len(s))
	for c := range s {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// DefaultIECodes are the initial-evaluation codes counted as new patients:
// PT 97161-97163, OT 97165-97167, SLP 92521-92524 and 92610. Re-evaluations
// (97164, 97168, 97172) never count.
var DefaultIECodes = NewCodeSet("97161", "97162", "97163", "97165", "97166", "97167",
	"92521", "92522", "92523", "92524", "92610")

// SplitCPT separates a CPT cell into its code and inline modifiers:
// "97110-GP" gives ("97110", "GP"), "97110 GP 59" gives ("97110", "GP 59"),
// "97110:59" gives ("97110", "59"). The code is upper-cased.
func SplitCPT(cell string) (code, modifiers string) {
	// Most cells are a bare upper-case code ("97110", "NORCM").
	bare := len(cell) > 0
	for i := 0; i < len(cell) && bare; i++ {
		c := cell[i]
		bare = c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'
	}
	if bare {
		return cell, ""
	}
	s := strings.TrimSpace(cell)
	i := 0
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	code = s[:i]
	for j := 0; j < i; j++ {
		if c := code[j]; c >= 'a' && c <= 'z' {
			// Codes are written upper-case; only a rare one is copied.
			code = strings.ToUpper(code)
			break
		}
	}
	rest := strings.TrimLeft(s[i:], " -:/,")
	return code, strings.TrimSpace(rest)
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
