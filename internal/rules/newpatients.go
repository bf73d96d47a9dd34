package rules

import "math"

// NewPatientsCount says whether an Insurance Class Summary row naming
// rowKey, in a report stating reportKey, counts for location key: the row's
// location, else the report's, else, when neither names one, the location
// being balanced if it is the only one (single).
func NewPatientsCount(rowKey, reportKey, key string, single bool) bool {
	k := rowKey
	if k == "" {
		k = reportKey
	}
	if k == "" && single {
		k = key
	}
	return k == key
}

// CompareNewPatients sets the EMR's initial-evaluation units against
// billing's New Patients total. sameDay is the units beyond one per patient
// and day (PT and OT evaluations the same day, say): billing counts such a
// patient once, so as much of the EMR's excess as they explain is a
// flagged, explained difference.
func CompareNewPatients(emr, sameDay, billing float64) *NewPatients {
	return &NewPatients{EMR: emr, Billing: billing, SameDay: min(sameDay, max(emr-billing, 0))}
}

// NewPatientsComparable says whether an Insurance Class Summary that states
// it covers stated can be set against the EMR's initial evaluations for
// period: only when they are the same dates. New Patients is a total over
// the summary's range and cannot be cut to part of it.
func NewPatientsComparable(stated, period Period) bool {
	return !stated.From.IsZero() && stated == period
}

// NewPatientsDiffer reports whether the EMR's initial evaluations and
// billing's new patients differ by more than same-day evaluations explain:
// then the evaluations are listed, for the difference to be found.
func NewPatientsDiffer(np *NewPatients) bool {
	if np == nil || math.Abs(np.EMR-np.Billing) <= 0.001 {
		return false
	}
	return !(np.SameDay > 0 && math.Abs(np.EMR-np.SameDay-np.Billing) < 0.001)
}

// Evaluations gathers initial-evaluation visits from a report that lists
// them line by line (SOAP 2.0's Documented Units): per patient and day,
// the units summed, in the order first seen. The zero value is empty; a
// nil *Evaluations adds nothing to a merge.
type Evaluations struct {
	at   map[patientDay]int
	list []Evaluation
	who  []string
}

// Add counts e's units for the patient who (an identity key) on e's date.
func (es *Evaluations) Add(who string, e Evaluation) {
	k := patientDay{who, e.DateOfService}
	if i, ok := es.at[k]; ok {
		es.list[i].Units += e.Units
		return
	}
	if es.at == nil {
		es.at = map[patientDay]int{}
	}
	es.at[k] = len(es.list)
	es.list = append(es.list, e)
	es.who = append(es.who, who)
}

// MergeEvaluations merges gathered evaluations (a location's, then those
// for every location) and returns their units, the part of them that
// same-day evaluations explain (billing counts a patient once a day), and
// the visits, to list when new patients differ.
func MergeEvaluations(all ...*Evaluations) (units, sameDay float64, visits []Evaluation) {
	var merged Evaluations
	for _, es := range all {
		if es == nil {
			continue
		}
		for i, e := range es.list {
			merged.Add(es.who[i], e)
		}
	}
	for _, e := range merged.list {
		units += e.Units
		sameDay += max(e.Units-1, 0)
	}
	return units, sameDay, merged.list
}
