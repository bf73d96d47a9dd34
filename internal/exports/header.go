package exports

import (
	"regexp"
	"strings"

	"github.com/balancebot/balancebot/internal/rules"
)

// field is a canonical column: what a header means, whatever it is called.
type field uint8

const (
	fNone field = iota
	fPatient
	fFirstName
	fLastName
	fPatientID
	fAccount
	fDOS
	fLocation
	fCPT
	fModifiers
	fUnits
	fVisits
	fFinalized
	fCreated
	fProvider
	fVisitType
	fDoNotBill
	fNewPatients
	fStatus
	fException
	fCharges
	fExportFlag
	numFields
)

// fieldNames are the names used in messages: the usual header for each field.
var fieldNames = [numFields]string{
	"", "Patient", "First Name", "Last Name", "Patient ID", "Account #", "Date of Service",
	"Location", "CPT Code", "Modifiers", "Units", "Visits", "Finalized Date", "Created Date",
	"Provider", "Visit Type", "Do Not Bill", "New Patients", "Status", "Exception Reason",
	"Charges", "export_flag",
}

func (f field) String() string { return fieldNames[f] }

// aliases maps header names, reduced by letters(), to fields. The list is
// docs/exports.md's, plus names seen in grids users customise.
var aliases = map[string]field{}

// weakAliases are header names that mean a field only when no header names
// it outright ("Date" is the date of service only without a DOS column).
var weakAliases = map[string]field{
	"date": fDOS, "servicedt": fDOS, "type": fVisitType,
}

func init() {
	for f, names := range map[field][]string{
		fPatient:     {"Patient", "Patient Name", "Pt Name", "Name", "Patient Full Name", "Client", "Client Name", "Patient (Last, First)"},
		fFirstName:   {"First Name", "Patient First Name", "Pt First Name", "First"},
		fLastName:    {"Last Name", "Patient Last Name", "Pt Last Name", "Last"},
		fPatientID:   {"Patient ID", "EMR Patient ID", "MRN", "patient_id", "Patient MRN", "Medical Record Number", "Medical Record #", "Pt ID"},
		fAccount:     {"Account", "Account #", "Account Number", "Acct #", "patient_account_number", "Account No", "Acct No", "Patient Account", "Patient Account #", "Patient Account Number", "Acct"},
		fDOS:         {"Date of Service", "DOS", "Service Date", "Visit Date", "visit_date", "date_of_service", "Date of Visit", "DOS Date", "Appointment Date", "Appt Date"},
		fLocation:    {"Location", "Clinic", "Clinic Name", "Facility", "clinic_id", "Location Name", "Facility Name", "Office", "Practice Location"},
		fCPT:         {"CPT", "CPT Code", "Code", "Procedure Code", "cpt", "cpt_code", "Procedure", "CPT/HCPCS", "HCPCS", "Service Code", "Charge Code", "Billing Code"},
		fModifiers:   {"Modifier", "Modifiers", "Mod", "CPT Modifier", "cpt_modifier", "mod1", "mod2", "mod3", "mod4", "Modifier 1", "Modifier 2", "Modifier 3", "Modifier 4", "Mod 1", "Mod 2", "Mod 3", "Mod 4"},
		fUnits:       {"Units", "Unit", "units", "Billed Units", "Units Billed", "Total Units", "Documented Units", "Unit Count"},
		fVisits:      {"Visits", "Visit Count", "# of Visits", "Number of Visits", "Total Visits", "Visit"},
		fFinalized:   {"Finalized Date", "Date Finalized", "note_finalized_date", "Finalized", "Finalized On"},
		fCreated:     {"Created Date", "Date Created", "Posting Date", "charge_date", "Post Date", "Entry Date", "Charge Date"},
		fProvider:    {"Therapist", "Provider", "Treating Provider", "Finalizing Therapist", "Documenting Therapist", "Rendering Provider", "Therapist Name", "Provider Name", "therapist_id"},
		fVisitType:   {"Visit Type", "Note Type", "note_type"},
		fDoNotBill:   {"Do Not Bill", "DNB", "Do Not Bill?"},
		fNewPatients: {"New Patients", "New Patient", "New Pts", "New Pt"},
		fStatus:      {"Status", "Transmission Status", "Claim Status", "Claims Feed Status"},
		fException:   {"Exception Type", "Exception Reason", "Reason", "Exception", "Hold Reason", "Exception Code", "Exception Description"},
		fCharges:     {"Charges", "Charge", "Charge Amount", "Amount", "Total Charges", "Billed Amount", "Fee", "charge_amount", "Total Charge"},
		fExportFlag:  {"export_flag"},
	} {
		for _, n := range names {
			aliases[letters(n)] = f
		}
	}
}

// header is the header row of an export and what its columns mean.
type header struct {
	row   int      // row number of the header in the file
	cells []string // as written
	cols  []field  // per column
	// idx lists the columns of each field; most have one, Modifiers may
	// have several (mod1, mod2).
	idx [numFields][]int
	// col is each field's first column, or -1: what a data row reads.
	col [numFields]int
}

func (h *header) has(f field) bool { return len(h.idx[f]) > 0 }

// patientCols reports whether the header carries a patient name.
func (h *header) hasName() bool {
	return h.has(fPatient) || h.has(fLastName)
}

// found lists the header's recognised columns, for messages.
func (h *header) found() []string {
	var out []string
	for f := fPatient; f < numFields; f++ {
		if h.has(f) {
			out = append(out, f.String())
		}
	}
	return out
}

// headerScanRows is how many rows are searched for the header: preambles
// run to a dozen rows, so sixty leaves room for a long one.
const headerScanRows = 60

// parseHeader maps a row's cells to fields. It returns nil when the row does
// not look like a header: fewer than two recognised columns, or cells that
// hold numbers, dates or "Label:" text as preamble rows do.
func parseHeader(cells []string) *header {
	h := &header{cells: cells, cols: make([]field, len(cells))}
	distinct := 0
	var weak []int
	for i, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if strings.HasSuffix(c, ":") || isNumeric(c) {
			return nil
		}
		if _, ok := parseDate(c, 0); ok {
			return nil
		}
		k := letters(c)
		f, ok := aliases[k]
		if !ok {
			if _, ok := weakAliases[k]; ok {
				weak = append(weak, i)
			}
			continue
		}
		if h.has(f) && f != fModifiers {
			// A second column for the same field: the first one wins, as
			// users put the column they mean first.
			continue
		}
		if !h.has(f) {
			distinct++
		}
		h.cols[i] = f
		h.idx[f] = append(h.idx[f], i)
	}
	for _, i := range weak {
		f := weakAliases[letters(cells[i])]
		if !h.has(f) {
			h.cols[i] = f
			h.idx[f] = append(h.idx[f], i)
			distinct++
		}
	}
	anchor := h.has(fDOS) || h.hasName() || h.has(fPatientID) || h.has(fAccount) || h.has(fNewPatients)
	if distinct < 2 || !anchor {
		return nil
	}
	for f, idx := range h.idx {
		h.col[f] = -1
		if len(idx) > 0 {
			h.col[f] = idx[0]
		}
	}
	return h
}

// findHeader picks the header among the first rows: the row with the most
// recognised columns, the first of equals.
func findHeader(rows [][]string) (int, *header) {
	best, bestN := -1, 0
	var bestH *header
	for i, r := range rows {
		h := parseHeader(r)
		if h == nil {
			continue
		}
		n := len(h.found())
		if n > bestN {
			best, bestN, bestH = i, n, h
		}
	}
	return best, bestH
}

// preamble is what the rows above the header say about the report.
type preamble struct {
	text      string // all of it, reduced by letters(), to spot titles
	location  string
	period    rules.Period
	dateBasis string
	stated    rules.Totals
}

// labelRE finds "Label:" in a preamble line. A label starts with a letter,
// so times such as 10:30 are not labels.
// Cells are joined with two spaces, which no label contains.
var labelRE = regexp.MustCompile(`([A-Za-z](?:[A-Za-z0-9/#()&'.-]| [A-Za-z0-9/#()&'.-]){0,40}?)\s*:\s*`)

// knownLabels are preamble labels; a label found with words before one of
// these ("Downtown Date Range") gives those words back to the value before.
var knownLabels = []string{
	"date range", "dates of service", "date of service", "service dates", "dates", "date type",
	"location", "locations", "clinic", "facility", "visits", "total visits", "units", "total units",
	"from", "to", "start date", "end date", "through", "period", "reconciliation mode", "report",
	"printed", "run date", "created date range", "finalized date range",
}

// splitLabel finds the known label that ends label, returning the words
// before it and the label itself.
func splitLabel(label string) (before, rest string) {
	low := strings.ToLower(label)
	best := ""
	for _, k := range knownLabels {
		if strings.HasSuffix(low, " "+k) && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return "", label
	}
	cut := len(label) - len(best)
	return strings.TrimSpace(label[:cut]), label[cut:]
}

// readPreamble reads the rows above the header.
func readPreamble(rows [][]string) preamble {
	var p preamble
	var text strings.Builder
	var loose []string // lines with no label, which may hold a bare range
	for _, r := range rows {
		var cells []string
		for _, c := range r {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		if len(cells) == 0 {
			continue
		}
		line := strings.Join(cells, "  ")
		text.WriteString(letters(line))
		text.WriteByte(' ')
		locs := labelRE.FindAllStringSubmatchIndex(line, -1)
		if len(locs) == 0 {
			loose = append(loose, line)
			continue
		}
		labels := make([]string, len(locs))
		values := make([]string, len(locs))
		for i, m := range locs {
			end := len(line)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			labels[i], values[i] = line[m[2]:m[3]], strings.TrimSpace(line[m[1]:end])
		}
		for i := range labels {
			if before, rest := splitLabel(labels[i]); before != "" && i > 0 {
				labels[i] = rest
				values[i-1] = strings.TrimSpace(values[i-1] + " " + before)
			}
		}
		for i := range labels {
			p.label(labels[i], values[i])
		}
	}
	if p.period.IsZero() {
		for _, l := range loose {
			if ds := findDates(l); len(ds) == 2 {
				p.period = rules.Period{From: min(ds[0], ds[1]), To: max(ds[0], ds[1])}
				break
			}
		}
	}
	p.text = text.String()
	return p
}

// label takes one "Label: value" pair of the preamble.
func (p *preamble) label(label, value string) {
	k := letters(label)
	basisOf := func() {
		for _, b := range []string{"created", "posting", "finalized", "entry", "billed", "transmission"} {
			if strings.Contains(k, b) {
				p.dateBasis = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(label, " Range"), " range"))
				return
			}
		}
	}
	switch {
	case k == "location" || k == "locations" || k == "clinic" || k == "clinics" || k == "facility" || k == "clinicname" || k == "locationname":
		if v := letters(value); v != "" && v != "all" && v != "alllocations" && v != "allclinics" && v != "multiple" {
			p.location = value
		}
	case k == "datetype" || k == "datebasis" || k == "runby" || k == "reportby" || k == "datefilter" || k == "dateoption" || k == "dateselection":
		p.dateBasis = value
	case k == "visits" || k == "totalvisits" || k == "visitcount":
		if v, ok := parseNumber(value); ok && value != "" {
			p.stated.Visits = &v
		}
	case k == "units" || k == "totalunits":
		if v, ok := parseNumber(value); ok && value != "" {
			p.stated.Units = &v
		}
	case k == "from" || k == "startdate" || k == "begindate" || k == "fromdate" || k == "start":
		if ds := findDates(value); len(ds) > 0 {
			p.period.From = ds[0]
			if len(ds) > 1 {
				p.period.To = ds[1]
			}
		}
	case k == "to" || k == "enddate" || k == "through" || k == "thru" || k == "todate" || k == "end":
		if ds := findDates(value); len(ds) > 0 {
			p.period.To = ds[0]
		}
	case strings.HasPrefix(k, "printed") || strings.HasPrefix(k, "run") || strings.HasPrefix(k, "generated") ||
		strings.HasPrefix(k, "exported") || strings.HasPrefix(k, "createdon") || strings.HasPrefix(k, "asof"):
		// When the report was made, not what it covers.
	case strings.Contains(k, "date") || strings.Contains(k, "period") || strings.Contains(k, "dos") || strings.Contains(k, "range"):
		ds := findDates(value)
		switch len(ds) {
		case 0:
			return
		case 1:
			p.period = rules.Period{From: ds[0], To: ds[0]}
		default:
			p.period = rules.Period{From: min(ds[0], ds[1]), To: max(ds[0], ds[1])}
		}
		basisOf()
	}
}

// findDates returns the dates written in s, in order.
func findDates(s string) []rules.Date {
	var out []rules.Date
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '(' || r == ')' }) {
		w = strings.Trim(w, "-–")
		if d, ok := parseDate(w, 0); ok {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		// "16-Nov-2026" style words were split above; try the whole string
		// around a range dash.
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '–' }) {
			if d, ok := parseDate(part, 0); ok {
				out = append(out, d)
			}
		}
	}
	return out
}

// kindHint finds a report title in the preamble text.
func (p *preamble) kindHint() rules.Kind {
	for _, t := range []struct {
		words string
		kind  rules.Kind
	}{
		{"chargeaudit", rules.KindChargeAuditSummary},
		{"insuranceclass", rules.KindInsuranceClassSummary},
		{"billingexception", rules.KindBillingExceptions},
		{"exceptionsreport", rules.KindBillingExceptions},
		{"claimsfeed", rules.KindClaimsFeed},
		{"documentedunits", rules.KindDocumentedUnits},
		{"documentedvisits", rules.KindDocumentedVisits},
		{"billingreport", rules.KindEMRBillingReport},
	} {
		if strings.Contains(p.text, t.words) {
			return t.kind
		}
	}
	return ""
}
