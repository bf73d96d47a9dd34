package rules

// Reason explains why a visit is on one side only. Every mismatch carries
// exactly one: the first of Reasons that applies.
type Reason string

// The reasons, in precedence order.
const (
	ReasonNORCM            Reason = "norcm"
	ReasonNoCharge         Reason = "no_charge"
	ReasonDoNotBill        Reason = "do_not_bill"
	ReasonZeroUnits        Reason = "zero_units"
	ReasonSameDay          Reason = "same_day"
	ReasonBillingException Reason = "billing_exception"
	ReasonNotRebilled      Reason = "claims_feed_not_rebilled"
	ReasonNotSent          Reason = "claims_feed_not_sent"
	ReasonDOSMismatch      Reason = "dos_mismatch"
	ReasonDuplicate        Reason = "duplicate"
	ReasonNameMismatch     Reason = "name_mismatch"
	ReasonUnexplained      Reason = "unexplained"
)

// Reasons lists every reason in precedence order.
var Reasons = []Reason{
	ReasonNORCM, ReasonNoCharge, ReasonDoNotBill, ReasonZeroUnits, ReasonSameDay,
	ReasonBillingException, ReasonNotRebilled, ReasonNotSent, ReasonDOSMismatch,
	ReasonDuplicate, ReasonNameMismatch, ReasonUnexplained,
}

type reasonInfo struct {
	needsAction bool
	title       string
	// explain says why the visit is on one side only; todo what to do.
	explain string
	todo    string
}

var reasonInfos = map[Reason]reasonInfo{
	ReasonNORCM: {false, "NORCM",
		"documented with the NORCM code: the visit is kept in the EMR but nothing flows to billing",
		"Nothing to fix. NORCM carries forward to later notes, so remove it from the plan if it was left on by mistake."},
	ReasonNoCharge: {false, "No Charges this Visit",
		"the note has No Charges this Visit checked (NC001)",
		"Nothing to fix."},
	ReasonDoNotBill: {false, "Do Not Bill",
		"the note was finalized as Do Not Bill",
		"Nothing to fix."},
	ReasonZeroUnits: {false, "0 units",
		"every line of the note has 0 units, so nothing reached billing",
		"Nothing to fix, unless units were left off by mistake: then correct the note."},
	ReasonSameDay: {false, "Same-day notes",
		"two notes on the same day (PT and OT, say); billing counts a billable date of service once",
		"Nothing to fix."},
	ReasonBillingException: {true, "Held on Billing Exceptions",
		"the charge is held on the Billing Exceptions Report, so it has not imported into billing yet",
		"Resolve the exception in WebPT Billing so the charge imports, then balance again."},
	ReasonNotRebilled: {true, "Claims Feed: Not Re-Billed",
		"the note was changed after billing but finalized without Finalize and Re-Bill",
		"Open the note in the EMR and use Finalize and Re-Bill, then balance again."},
	ReasonNotSent: {true, "Claims Feed: Not Sent",
		"the financial transmission was never sent to billing",
		"Re-send the transmission from the Claims Feed Report, then balance again."},
	ReasonDOSMismatch: {true, "Date of service differs",
		"the same patient has a visit on the other side within 7 days: the date of service was changed on one side only",
		"Correct the date of service so both systems agree."},
	ReasonDuplicate: {true, "Possible duplicate charge",
		"billing counts more visits for this patient and day, under the same account, than the EMR documents",
		"Check billing for a duplicate charge and void it, or document the missing visit."},
	ReasonNameMismatch: {true, "Name spelled differently",
		"the other side has a visit that day at this location for a patient whose name is written differently (a nickname, a second surname, a typo)",
		"If it is one patient, correct the name in one system so both agree; if not, look both visits up."},
	ReasonUnexplained: {true, "Unexplained",
		"no report explains it",
		"Look the visit up in both systems. EMR-only: find why it did not reach billing. Billing-only: charges entered straight into billing (fees, supplies, billing-only patients) have no EMR visit; anything else needs a note."},
}

// NeedsAction reports whether a mismatch with this reason leaves the balance
// open until someone acts.
func (r Reason) NeedsAction() bool { return reasonInfos[r].needsAction }

// Title is a short heading for the reason.
func (r Reason) Title() string { return reasonInfos[r].title }

// Explain says why a visit with this reason is on one side only.
func (r Reason) Explain() string { return reasonInfos[r].explain }

// Todo says what to do about it.
func (r Reason) Todo() string { return reasonInfos[r].todo }

// Result is one reconciliation. The Slack summary, the thread details, the
// mismatch CSV and the command line's text and JSON all render it; its JSON
// form is a public interface (see docs/result.md).
type Result struct {
	Balanced  bool       `json:"balanced"`
	From      Date       `json:"from"`
	To        Date       `json:"to"`
	Locations []Location `json:"locations"`
	Warnings  []Warning  `json:"warnings"`
	// Inputs lists the reports the result was computed from.
	Inputs []Input `json:"inputs"`
	// Waiting lists locations left out because one side's report is
	// missing (only with Options.SkipIncomplete).
	Waiting []Waiting `json:"waiting,omitempty"`
}

// Waiting is a location that has reports on one side only.
type Waiting struct {
	Location string `json:"location"`
	// Missing is the side no report covers yet.
	Missing Side `json:"missing"`
	// Have lists the files that cover the other side.
	Have   []string `json:"have"`
	From   Date     `json:"from"`
	To     Date     `json:"to"`
	Visits int      `json:"visits"`
	// OtherNames lists the locations of the missing side that lack the
	// other side, when no name pairs: the export wanted may be among them,
	// named otherwise.
	OtherNames []string `json:"other_names,omitempty"`
}

// Period is the result's date range.
func (r *Result) Period() Period { return Period{r.From, r.To} }

// Location is the balance of one location over the period.
type Location struct {
	Location      string         `json:"location"`
	Balanced      bool           `json:"balanced"`
	EMRVisits     int            `json:"emr_visits"`
	BillingVisits int            `json:"billing_visits"`
	MatchedVisits int            `json:"matched_visits"`
	Reasons       map[Reason]int `json:"reasons"`
	// Units are information only, never a mismatch (payers scrub units).
	EMRUnits     *float64     `json:"emr_units"`
	BillingUnits *float64     `json:"billing_units"`
	NewPatients  *NewPatients `json:"new_patients"`
	Days         []Day        `json:"days"`
	Mismatches   []Mismatch   `json:"mismatches"`
	// PerDay is set when billing gave only per-day totals, so billing-side
	// visits could not be listed by patient.
	PerDay bool `json:"per_day,omitempty"`
}

// Difference is EMR visits minus billing visits.
func (l *Location) Difference() int { return l.EMRVisits - l.BillingVisits }

// ActionCount is how many mismatches need action.
func (l *Location) ActionCount() int {
	n := 0
	for r, c := range l.Reasons {
		if r.NeedsAction() {
			n += c
		}
	}
	return n
}

// NewPatients compares initial evaluations in the EMR with the New Patients
// column in billing.
type NewPatients struct {
	EMR     float64 `json:"emr"`
	Billing float64 `json:"billing"`
	// SameDay is how much of EMR's excess comes from patients with more than
	// one initial evaluation on a day (PT and OT, say), which billing counts
	// once: a flagged, explained difference.
	SameDay float64 `json:"same_day,omitempty"`
	// Evaluations lists the EMR's initial-evaluation visits when the two
	// differ and same-day evaluations do not explain it, so the difference
	// can be found.
	Evaluations []Evaluation `json:"evaluations,omitempty"`
}

// Evaluation is an EMR visit with initial-evaluation units.
type Evaluation struct {
	Patient       string  `json:"patient"`
	PatientID     string  `json:"patient_id,omitempty"`
	DateOfService Date    `json:"date_of_service"`
	Code          string  `json:"code,omitempty"`
	Units         float64 `json:"units"`
}

// Day is one date of service's visit counts.
type Day struct {
	Date          Date `json:"date"`
	EMRVisits     int  `json:"emr_visits"`
	BillingVisits int  `json:"billing_visits"`
	MatchedVisits int  `json:"matched_visits"`
}

// Mismatch is one visit on one side only, with its reason.
type Mismatch struct {
	Side          Side   `json:"side"`
	Patient       string `json:"patient"`
	PatientID     string `json:"patient_id,omitempty"`
	Account       string `json:"account,omitempty"`
	DateOfService Date   `json:"date_of_service"`
	Reason        Reason `json:"reason"`
	NeedsAction   bool   `json:"needs_action"`
	// OtherDate is, for dos_mismatch, the date of service of the visit on
	// the other side that it pairs with.
	OtherDate Date `json:"other_date,omitempty"`
	// Provider is the visit's therapist, and Note the exception type or the
	// Claims Feed status as written, where the exports carry them: what
	// the person working the visit needs.
	Provider string `json:"provider,omitempty"`
	Note     string `json:"note,omitempty"`
	// OtherPatient is, for name_mismatch, how the other side writes the
	// patient: the details show both spellings.
	OtherPatient string `json:"other_patient,omitempty"`
	// MatchedAccount is, for a billing visit of a same-name patient under
	// another account, the account of the visit that matched the EMR's:
	// the details show both accounts.
	MatchedAccount string `json:"matched_account,omitempty"`
}

// Warning is something to look at before trusting the balance. It carries
// a stable code and the facts its words are made from; the words are the
// renderers' (render.WarningText). Each code sets the fields it needs.
type Warning struct {
	Code  string `json:"code"`
	Count int    `json:"count,omitempty"`
	// File is the export the warning is about; OtherFile, for
	// export_replaced, the later export used instead of it.
	File      string `json:"file,omitempty"`
	OtherFile string `json:"other_file,omitempty"`
	Location  string `json:"location,omitempty"`
	// Locations lists the locations the files name, where the warning is
	// that they name several; for locations_unpaired, the EMR's locations
	// that billing lacks, and BillingLocations billing's that the EMR
	// lacks. For locations_paired, Location is the EMR's name and
	// BillingLocations holds billing's.
	Locations        []string `json:"locations,omitempty"`
	BillingLocations []string `json:"billing_locations,omitempty"`
	// Kind is the report kind the warning is about: the kind replaced, or
	// the check report that would explain what is unexplained.
	Kind Kind `json:"kind,omitempty"`
	// Side is, for location_missing_side, the side no report covers.
	Side Side `json:"side,omitempty"`
	// Period is the dates concerned: the balance's period, or the dates an
	// export replaced. EMRPeriod and BillingPeriod are, for
	// periods_disagree, what each side's reports state.
	Period        *Period `json:"period,omitempty"`
	EMRPeriod     *Period `json:"emr_period,omitempty"`
	BillingPeriod *Period `json:"billing_period,omitempty"`
	// DateBasis is, for date_basis_not_dos, the date the report was run by.
	DateBasis string `json:"date_basis,omitempty"`
	// Totals: for header_totals_disagree, where the report states a total
	// (TotalHeader or TotalGrandRow), of what (TotalVisits or TotalUnits),
	// what it states and what its rows give.
	TotalIn string   `json:"total_in,omitempty"`
	TotalOf string   `json:"total_of,omitempty"`
	Stated  *float64 `json:"stated,omitempty"`
	Found   *float64 `json:"found,omitempty"`
	// EMR and Billing are, for the new-patient warnings, the EMR's
	// initial-evaluation units and billing's New Patients total.
	EMR     *float64 `json:"emr,omitempty"`
	Billing *float64 `json:"billing,omitempty"`
	// Evaluations are, for new_patients_differ, the EMR's
	// initial-evaluation visits.
	Evaluations []Evaluation `json:"evaluations,omitempty"`
}

// Where a report states a total, and of what, for header_totals_disagree.
const (
	TotalHeader   = "header"
	TotalGrandRow = "grand_total_row"
	TotalVisits   = "visits"
	TotalUnits    = "units"
)

// Warning codes.
const (
	WarnBillingExceptions   = "billing_exceptions_open"
	WarnClaimsNotSent       = "claims_feed_not_sent"
	WarnClaimsNotRebilled   = "claims_feed_not_rebilled"
	WarnHeaderTotals        = "header_totals_disagree"
	WarnDateBasis           = "date_basis_not_dos"
	WarnOutsidePeriod       = "dates_outside_period"
	WarnPeriodsDisagree     = "periods_disagree"
	WarnReplaced            = "export_replaced"
	WarnPerDay              = "billing_per_day"
	WarnNewPatients         = "new_patients_differ"
	WarnNewPatientsSameDay  = "new_patients_same_day"
	WarnNewPatientsLocation = "new_patients_location"
	WarnNewPatientsPeriod   = "new_patients_period"
	WarnCheckMissing        = "check_report_missing"
	WarnMissingSide         = "location_missing_side"
	WarnLocationsPaired     = "locations_paired"
	WarnLocationsUnpaired   = "locations_unpaired"
)

// Input describes one report the result was computed from.
type Input struct {
	File      string   `json:"file"`
	Kind      Kind     `json:"kind"`
	Side      Side     `json:"side"`
	Locations []string `json:"locations"`
	From      Date     `json:"from"`
	To        Date     `json:"to"`
	Rows      int      `json:"rows"`
	// Visits counts visits for a visit report, items for a check report.
	Visits int `json:"visits"`
	// NewPatients is an Insurance Class Summary's New Patients total.
	NewPatients *float64 `json:"new_patients,omitempty"`
}
