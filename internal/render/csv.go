package render

import (
	"encoding/csv"
	"io"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/gocarina/gocsv"
)

// csvRow is one line of the mismatch CSV. gocsv writes the header from the
// tags, so the columns are declared once, here.
type csvRow struct {
	Location      string `csv:"location"`
	Side          string `csv:"side"`
	DateOfService string `csv:"date_of_service"`
	Patient       string `csv:"patient"`
	PatientID     string `csv:"patient_id"`
	Account       string `csv:"account"`
	Reason        string `csv:"reason"`
	NeedsAction   string `csv:"needs_action"`
	OtherDate     string `csv:"other_date"`
	// MatchedAccount is, for a same-name patient's billing visit, the
	// matched visit's account.
	MatchedAccount string `csv:"matched_account"`
	// OtherPatient is, for name_mismatch, the other side's spelling.
	OtherPatient string `csv:"other_patient"`
	// Therapist and Note help to work the visit: the exception type or the
	// Claims Feed status as written.
	Therapist   string `csv:"therapist"`
	Note        string `csv:"note"`
	Explanation string `csv:"explanation"`
	ToDo        string `csv:"what_to_do"`
}

// CSV writes every mismatch of the result, one per line. With full unset,
// patients are masked as in Slack and ids cut to their last digits. Cells
// that a spreadsheet would run as a formula are neutralised.
func CSV(w io.Writer, res *rules.Result, full bool) error {
	rows := []csvRow{}
	for i := range res.Locations {
		l := &res.Locations[i]
		for _, m := range l.Mismatches {
			r := csvRow{
				Location:      l.Location,
				Side:          string(m.Side),
				DateOfService: m.DateOfService.String(),
				Reason:        string(m.Reason),
				NeedsAction:   "no",
				OtherDate:     m.OtherDate.String(),
				Therapist:     m.Provider,
				Note:          m.Note,
				Explanation:   m.Reason.Explain(),
				ToDo:          m.Reason.Todo(),
			}
			if m.NeedsAction {
				r.NeedsAction = "yes"
			}
			if full {
				r.Patient, r.PatientID, r.Account, r.MatchedAccount, r.OtherPatient = m.Patient, m.PatientID, m.Account, m.MatchedAccount, m.OtherPatient
			} else {
				if m.Patient != "" {
					r.Patient = Initials(m.Patient)
				}
				if m.PatientID != "" {
					r.PatientID = lastDigits(m.PatientID)
				}
				if m.Account != "" {
					r.Account = lastDigits(m.Account)
				}
				if m.MatchedAccount != "" {
					r.MatchedAccount = lastDigits(m.MatchedAccount)
				}
				if m.OtherPatient != "" {
					r.OtherPatient = Initials(m.OtherPatient)
				}
			}
			rows = append(rows, r)
		}
	}
	return gocsv.MarshalCSV(&rows, &safeWriter{csv.NewWriter(w)})
}

// safeWriter neutralises cells that begin with =, +, -, @, tab or CR, which
// a spreadsheet would otherwise run as a formula: a patient name from an
// export is data, never code (CSV injection).
type safeWriter struct{ *csv.Writer }

func (s *safeWriter) Write(row []string) error {
	for i, c := range row {
		row[i] = Neutralise(c)
	}
	return s.Writer.Write(row)
}

// Neutralise prefixes a cell that a spreadsheet would treat as a formula
// with an apostrophe.
func Neutralise(c string) string {
	if c != "" {
		switch c[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + c
		}
	}
	return c
}

// locationRow is one line of the per-location figures CSV: counts and
// location names only, never patients.
type locationRow struct {
	Location      string `csv:"location"`
	Balanced      string `csv:"balanced"`
	EMRVisits     int    `csv:"emr_visits"`
	BillingVisits int    `csv:"billing_visits"`
	MatchedVisits int    `csv:"matched_visits"`
	Difference    int    `csv:"difference"`
	NeedsAction   int    `csv:"needs_action"`
	Reasons       string `csv:"reasons"`
}

// LocationsCSV writes each location's figures, one per line, as the
// summary's metadata gives them for its first locations: a group's every
// location, in a file beside the mismatch CSV.
func LocationsCSV(w io.Writer, res *rules.Result) error {
	rows := make([]locationRow, len(res.Locations))
	for i := range res.Locations {
		l := &res.Locations[i]
		rows[i] = locationRow{Location: l.Location, Balanced: "no", EMRVisits: l.EMRVisits, BillingVisits: l.BillingVisits,
			MatchedVisits: l.MatchedVisits, Difference: l.Difference(), NeedsAction: l.ActionCount(), Reasons: reasonCounts(l.Reasons)}
		if l.Balanced {
			rows[i].Balanced = "yes"
		}
	}
	return gocsv.MarshalCSV(&rows, &safeWriter{csv.NewWriter(w)})
}

// LocationsCSV is LocationsCSV, for the bot's Renderer.
func (BlockKit) LocationsCSV(w io.Writer, res *rules.Result) error { return LocationsCSV(w, res) }

// MetadataLocations is how many locations the summary's metadata carries;
// past it, the figures of every location go in the locations CSV.
func (BlockKit) MetadataLocations() int { return maxMetadataLocs }
