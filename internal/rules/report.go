package rules

import (
	"maps"
	"slices"
	"sort"
)

// Report is one export folded per visit key, plainly: the rules' own view
// of a report, which their Reconcile balances. The engine keeps reports in
// a compact layout of its own and balances them the same way, faster.
type Report struct {
	Name string
	Kind Kind
	// Location is the location the report states for all its rows; a row
	// may carry its own.
	Location string
	// Period is the date range the report states it was run for, and
	// DateBasis the date type, when it says.
	Period    Period
	DateBasis string
	Columns   Columns
	// Stated holds the totals the report prints above its rows, and
	// GrandTotal those of its grand-total row.
	Stated, GrandTotal Totals
	// Rows counts the data rows read; Removed the Standard Extract rows
	// flagged removed, which are not visits.
	Rows, Removed int
	// Visits holds one visit per key, in the order first seen.
	Visits []Visit
	// NewPatients is an Insurance Class Summary's New Patients total per
	// location as written ("" for rows naming none).
	NewPatients map[string]float64
}

// Visit is what one report says about one visit key: a patient at a
// location on a date of service.
type Visit struct {
	// Location and Patient are as the key's first row writes them.
	Location string
	Patient  Patient
	DOS      Date
	// Count is how many visits the report counts for the key (see
	// Counting); Lines how many rows it has.
	Count, Lines int32
	// Units sums the rows' units, and IEUnits those of initial
	// evaluations.
	Units, IEUnits float64
	Flags          Flag
	// Detail gathers its rows' details, the first of each field.
	Detail Detail
}

// VisitKey is what makes two rows of one report the same visit: the same
// location as written, patient (by name key and both ids) and date.
type VisitKey struct {
	Location, Name, ID, Account string
	DOS                         Date
}

// KeyOf is line l's visit key.
func KeyOf(l *Line) VisitKey {
	return VisitKey{l.Location, NameKey(l.Patient.Name), l.Patient.ID, l.Patient.Account, l.DOS}
}

// Fold folds the lines of one export of kind k into a report, one visit
// per key, counting as the kind counts (CountingOf) and noting what each
// line says about its visit (LineFlags). ieCodes is the initial-evaluation
// code set (nil for DefaultIECodes).
func Fold(name string, k Kind, cols Columns, ieCodes CodeSet, lines []Line) *Report {
	if ieCodes == nil {
		ieCodes = DefaultIECodes
	}
	r := &Report{Name: name, Kind: k, Columns: cols}
	counting := CountingOf(k, cols)
	at := map[VisitKey]int{}
	for i := range lines {
		l := &lines[i]
		r.Rows++
		if k == KindInsuranceClassSummary {
			if r.NewPatients == nil {
				r.NewPatients = map[string]float64{}
			}
			r.NewPatients[l.Location] += l.NewPatients
			continue
		}
		key := KeyOf(l)
		j, ok := at[key]
		if !ok {
			j = len(r.Visits)
			at[key] = j
			r.Visits = append(r.Visits, Visit{Location: l.Location, Patient: l.Patient, DOS: l.DOS})
		}
		v := &r.Visits[j]
		v.Lines++
		v.Units += l.Units
		v.Count = counting.Add(v.Count, l)
		v.Flags |= LineFlags(k, l)
		d := l.Detail
		if CountsNewPatients(k) && ieCodes.Has(l.CPT) {
			v.IEUnits += l.Units
			d.Code = l.CPT
		}
		v.Detail = v.Detail.Filled(d)
	}
	return r
}

// VisitCount is the number of visits the report counts, over all keys.
func (r *Report) VisitCount() int {
	n := 0
	for _, v := range r.Visits {
		n += int(v.Count)
	}
	return n
}

// UnitCount is the sum of units over all rows.
func (r *Report) UnitCount() float64 {
	var u float64
	for _, v := range r.Visits {
		u += v.Units
	}
	return u
}

// DateSpan is the first and last date of service among the visits.
func (r *Report) DateSpan() Period {
	var p Period
	for _, v := range r.Visits {
		p = p.Union(Period{From: v.DOS, To: v.DOS})
	}
	return p
}

// Locations lists the distinct locations the report names (by key, as
// first written), sorted: the one it states, its rows', then its New
// Patients rows'.
func (r *Report) Locations() []string {
	seen := map[string]bool{}
	var out []string
	add := func(l string) {
		if k := LocationKey(l); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, l)
		}
	}
	add(r.Location)
	for _, v := range r.Visits {
		add(v.Location)
	}
	for _, l := range slices.Sorted(maps.Keys(r.NewPatients)) {
		add(l)
	}
	sort.Strings(out)
	return out
}
