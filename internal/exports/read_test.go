package exports

import (
	"archive/zip"
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/rules"
)

// visitsOf renders a report's visits compactly, one per key, sorted:
// "Smith, John|Downtown|2026-11-16|count=1|units=3|norcm".
func visitsOf(r *engine.Report) []string {
	var out []string
	for _, v := range r.Visits {
		p := r.Patient(&v)
		s := fmt.Sprintf("%s|%s|%s|count=%d|units=%g", p.Name, r.LocationOf(&v), v.DOS, v.Count, v.Units)
		if p.ID != "" {
			s += "|id=" + p.ID
		}
		if p.Account != "" {
			s += "|acct=" + p.Account
		}
		for f, name := range map[rules.Flag]string{
			rules.FlagNORCM: "norcm", rules.FlagNoCharge: "nc001", rules.FlagDoNotBill: "dnb",
			rules.FlagNotSent: "notsent", rules.FlagNotRebilled: "notrebilled", rules.FlagException: "exception",
		} {
			if v.Flags&f != 0 {
				s += "|" + name
			}
		}
		if v.IEUnits > 0 {
			s += fmt.Sprintf("|ie=%g", v.IEUnits)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

type readCase struct {
	name   string
	file   string // file name given to Read
	data   string
	opt    Options
	kind   rules.Kind
	loc    string
	period string // "2026-11-16 to 2026-11-20", or "" for none
	visits []string
	check  func(t *testing.T, r *engine.Report)
}

func runReadCases(t *testing.T, cases []readCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "export.csv"
			}
			r, err := Read(file, strings.NewReader(tc.data), tc.opt)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if r.Kind != tc.kind {
				t.Errorf("kind = %s, want %s", r.Kind, tc.kind)
			}
			if r.Location != tc.loc {
				t.Errorf("location = %q, want %q", r.Location, tc.loc)
			}
			p := ""
			if !r.Period.IsZero() {
				p = r.Period.String()
			}
			if p != tc.period {
				t.Errorf("period = %q, want %q", p, tc.period)
			}
			if tc.visits != nil {
				if got := visitsOf(r); !slices.Equal(got, tc.visits) {
					t.Errorf("visits:\n got %q\nwant %q", got, tc.visits)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestReadCSVVariants(t *testing.T) {
	emrRows := "\"Smith, John M.\",11/16/2026,97110-GP,2\n\"Smith, John M.\",11/16/2026,97140,1\nDoe Jane,11/17/2026,NORCM,0\n"
	runReadCases(t, []readCase{
		{
			name: "plain header on the first row",
			data: "Patient,Date of Service,CPT Code,Units\n" + emrRows,
			kind: rules.KindEMRBillingReport,
			visits: []string{
				"Doe Jane||2026-11-17|count=1|units=0|norcm",
				"Smith, John M.||2026-11-16|count=1|units=3",
			},
		},
		{
			name:   "preamble with title, clinic, range and totals; BOM; CRLF",
			data:   "\ufeffBilling Report\r\nClinic: Downtown\r\nDate Range: 11/16/2026 - 11/20/2026,,Run: 11/23/2026 08:02 AM\r\nVisits: 2   Units: 3\r\n\r\nPatient,DOS,CPT,Units\r\n" + strings.ReplaceAll(emrRows, "\n", "\r\n"),
			kind:   rules.KindEMRBillingReport,
			loc:    "Downtown",
			period: "2026-11-16 to 2026-11-20",
			check: func(t *testing.T, r *engine.Report) {
				if r.Stated.Visits == nil || *r.Stated.Visits != 2 || r.Stated.Units == nil || *r.Stated.Units != 3 {
					t.Errorf("stated totals = %+v", r.Stated)
				}
				if r.VisitCount() != 2 {
					t.Errorf("visits = %d", r.VisitCount())
				}
			},
		},
		{
			name:   "preamble label and value in separate cells, several labels in one cell",
			data:   "Charge Audit Summary\nLocation:,Uptown\nDate Type: Date of Service  Date Range: 11/16/2026 - 11/17/2026\n\nPatient,Account #,Date of Service,Visits\n\"DOE, JANE\",0042,11/16/2026,1\n",
			kind:   rules.KindChargeAuditSummary,
			loc:    "Uptown",
			period: "2026-11-16 to 2026-11-17",
			visits: []string{"DOE, JANE||2026-11-16|count=1|units=0|acct=0042"},
			check: func(t *testing.T, r *engine.Report) {
				if r.DateBasis != "Date of Service" {
					t.Errorf("date basis = %q", r.DateBasis)
				}
			},
		},
		{
			name: "semicolon separated",
			data: "Patient;Date of Service;CPT Code;Units\n\"Smith, John\";11/16/2026;97110;2\n",
			kind: rules.KindEMRBillingReport, visits: []string{"Smith, John||2026-11-16|count=1|units=2"},
		},
		{
			name: "tab separated",
			data: "Patient\tDate of Service\tCPT Code\tUnits\nSmith, John\t11/16/2026\t97110\t2\n",
			kind: rules.KindEMRBillingReport, visits: []string{"Smith, John||2026-11-16|count=1|units=2"},
		},
		{
			name: "quoted fields with commas, quotes and newlines",
			data: "Patient,Date of Service,Note,CPT Code,Units\n\"Smith, John\",11/16/2026,\"Pain 5/10,\nimproving \"\"a lot\"\"\",97110,2\n\"O'Brien, Pat\",11/16/2026,,97140,1\n",
			kind: rules.KindEMRBillingReport,
			visits: []string{
				"O'Brien, Pat||2026-11-16|count=1|units=1",
				"Smith, John||2026-11-16|count=1|units=2",
			},
		},
		{
			name: "header aliases, case and punctuation; columns in any order; unknown columns",
			data: "Units,PROCEDURE CODE,Pt Name,Insurance,DOS,Treating Provider\n2,97110,\"SMITH, JOHN\",Aetna,11/16/2026,Reed\n",
			kind: rules.KindEMRBillingReport, visits: []string{"SMITH, JOHN||2026-11-16|count=1|units=2"},
		},
		{
			name: "every date form",
			data: "Patient,Visit Date\nA One,11/16/2026\nB Two,3/2/2026\nC Three,11/16/26\nD Four,2026-11-16\nE Five,11/16/2026 10:30 AM\nF Six,2026-11-16T08:00:00\nG Seven,16-Nov-2026\nH Eight,\"Nov 16, 2026\"\n",
			kind: rules.KindDocumentedVisits,
			visits: []string{
				"A One||2026-11-16|count=1|units=0", "B Two||2026-03-02|count=1|units=0",
				"C Three||2026-11-16|count=1|units=0", "D Four||2026-11-16|count=1|units=0",
				"E Five||2026-11-16|count=1|units=0", "F Six||2026-11-16|count=1|units=0",
				"G Seven||2026-11-16|count=1|units=0", "H Eight||2026-11-16|count=1|units=0",
			},
		},
		{
			name: "group, subtotal, count and grand-total rows are not visits",
			data: "Patient,Date of Service,CPT Code,Units\nLocation: Downtown\n\"Smith, John\",11/16/2026,97110,2\n\"Smith, John\",11/16/2026,97140,1\nSmith, John Total,,,3\nLocation: Uptown\n\"Doe, Jane\",11/17/2026,97110,1\nSubtotal,,,1\n2\nGrand Total,,,4\n",
			kind: rules.KindEMRBillingReport,
			visits: []string{
				"Doe, Jane|Uptown|2026-11-17|count=1|units=1",
				"Smith, John|Downtown|2026-11-16|count=1|units=3",
			},
			check: func(t *testing.T, r *engine.Report) {
				if r.GrandTotal.Units == nil || *r.GrandTotal.Units != 4 {
					t.Errorf("grand total = %+v", r.GrandTotal)
				}
				if r.Rows != 3 {
					t.Errorf("rows = %d, want 3", r.Rows)
				}
			},
		},
		{
			// Only the patient's cell can be a total's label on a row that
			// decodes: a clinic called "Total Rehab" or a patient named
			// Summers keeps its visits.
			name: "a location or patient that merely contains total or sum",
			data: "Patient,Date of Service,Location,CPT Code,Units\n\"Summers, Ann\",11/16/2026,Total Rehab,97110,2\n\"Total, Tim\",11/16/2026,Total Rehab,97110,1\nTotal Rehab Total,,,,3\n",
			kind: rules.KindEMRBillingReport,
			visits: []string{
				"Summers, Ann|Total Rehab|2026-11-16|count=1|units=2",
				"Total, Tim|Total Rehab|2026-11-16|count=1|units=1",
			},
		},
		{
			name: "a visit's patient and date written only on its first CPT line",
			data: "Patient,Date of Service,CPT Code,Units\n\"Smith, John\",11/16/2026,97110,2\n,,97140,1\n,,97530,1\n\"Doe, Jane\",11/16/2026,NC001,0\n",
			kind: rules.KindEMRBillingReport,
			visits: []string{
				"Doe, Jane||2026-11-16|count=1|units=0|nc001",
				"Smith, John||2026-11-16|count=1|units=4",
			},
		},
		{
			name: "a header repeated on every page",
			data: "Patient,Date of Service,CPT Code,Units\n\"Smith, John\",11/16/2026,97110,2\nPatient,Date of Service,CPT Code,Units\n\"Doe, Jane\",11/16/2026,97110,1\n",
			kind: rules.KindEMRBillingReport,
			visits: []string{
				"Doe, Jane||2026-11-16|count=1|units=1",
				"Smith, John||2026-11-16|count=1|units=2",
			},
		},
		{
			name: "first and last name columns",
			data: "Last Name,First Name,Date of Service,CPT,Units\nSmith,John,11/16/2026,97110,1\n",
			kind: rules.KindEMRBillingReport, visits: []string{"Smith, John||2026-11-16|count=1|units=1"},
		},
		{
			name: "initial evaluations with modifiers count as new patients; re-evaluations do not",
			data: "Patient,Date of Service,CPT Code,Units\nA B,11/16/2026,97161-GP,1\nA B,11/16/2026,97165 GO,1\nC D,11/16/2026,97164,1\nE F,11/16/2026,92521:59,1\n",
			kind: rules.KindEMRBillingReport,
			visits: []string{
				"A B||2026-11-16|count=1|units=2|ie=2", "C D||2026-11-16|count=1|units=1",
				"E F||2026-11-16|count=1|units=1|ie=1",
			},
		},
		{
			name: "a practice's own initial-evaluation codes",
			data: "Patient,Date of Service,CPT Code,Units\nA B,11/16/2026,97161,1\nC D,11/16/2026,97999,1\n",
			opt:  Options{IECodes: rules.NewCodeSet("97999")},
			kind: rules.KindEMRBillingReport,
			visits: []string{
				"A B||2026-11-16|count=1|units=1", "C D||2026-11-16|count=1|units=1|ie=1",
			},
		},
		{
			name: "Standard Extract EMR Charges: ids, clinic_id, removed rows",
			data: "visit_id,visit_date,cpt,units,patient_id,clinic_id,therapist_id,note_type,cpt_prefix,cpt_suffix,cpt_modifier,note_finalized_date,export_flag\n" +
				"9001,2026-11-16,97110,2,P1002,12,77,Daily Note,,,GP,2026-11-16,1\n" +
				"9001,2026-11-16,97140,1,P1002,12,77,Daily Note,,,GP,2026-11-16,2\n" +
				"9002,2026-11-16,97110,1,P1003,12,77,Daily Note,,,GP,2026-11-16,3\n",
			kind:   rules.KindEMRBillingReport,
			visits: []string{"|12|2026-11-16|count=1|units=3|id=P1002"},
			check: func(t *testing.T, r *engine.Report) {
				if r.Removed != 1 || !r.Columns.PatientID || r.Columns.Name {
					t.Errorf("removed = %d, columns = %+v", r.Removed, r.Columns)
				}
			},
		},
		{
			name: "Standard Extract Billing Charges",
			data: "patient_account_number,date_of_service,charge_date,cpt_code,mod1,mod2,units,visit_id,company_id,cur_insurance_class\n" +
				"A1001,2026-11-16,2026-11-17,97110,GP,,2,9001,3,Commercial\nA1001,2026-11-16,2026-11-17,97140,GP,59,1,9001,3,Commercial\n",
			kind:   rules.KindChargeAuditSummary,
			visits: []string{"||2026-11-16|count=1|units=3|acct=A1001"},
		},
		{
			name: "Charge Audit Summary, one row per visit with Visits; a fee with 0 visits",
			data: "Charge Audit Summary\n\nPatient,Account #,Date of Service,Visits,Units,Charges,Created Date\n\"SMITH, JOHN\",101,11/16/2026,1,3,\"$1,204.00\",11/17/2026\n\"BROOKS, TY\",102,11/16/2026,0,0,35.00,11/16/2026\nGrand Total,,,1,3,\"$1,239.00\",\n",
			kind: rules.KindChargeAuditSummary,
			visits: []string{
				"BROOKS, TY||2026-11-16|count=0|units=0|acct=102",
				"SMITH, JOHN||2026-11-16|count=1|units=3|acct=101",
			},
		},
		{
			name: "Charge Audit Summary per day, no patients",
			data: "Date of Service,Visits,Units\n11/16/2026,12,31\n11/17/2026,9,22\nTotal,21,53\n",
			kind: rules.KindChargeAuditSummary,
			visits: []string{
				"||2026-11-16|count=12|units=31", "||2026-11-17|count=9|units=22",
			},
		},
		{
			name: "Documented Visits: one row per visit, the count row checked",
			data: "Documented Visits\nLocation: Uptown\n\nPatient Name,Date of Service,Finalizing Therapist\nHughes Nora,11/16/2026,Lopez\nHughes Nora,11/16/2026,Kim\nCount: 2\n",
			kind: rules.KindDocumentedVisits, loc: "Uptown",
			visits: []string{"Hughes Nora||2026-11-16|count=2|units=0"},
			check: func(t *testing.T, r *engine.Report) {
				if r.GrandTotal.Visits == nil || *r.GrandTotal.Visits != 2 {
					t.Errorf("count row = %+v", r.GrandTotal)
				}
			},
		},
		{
			name: "Documented Units: Do Not Bill as Y, Yes, X, true",
			data: "Patient Name,Date of Service,CPT Code,Units,Do Not Bill\nA B,11/16/2026,97110,2,Y\nC D,11/16/2026,97110,2,yes\nE F,11/16/2026,97110,2,X\nG H,11/16/2026,97110,2,true\nI J,11/16/2026,97110,2,N\n",
			kind: rules.KindDocumentedUnits,
			visits: []string{
				"A B||2026-11-16|count=1|units=2|dnb", "C D||2026-11-16|count=1|units=2|dnb",
				"E F||2026-11-16|count=1|units=2|dnb", "G H||2026-11-16|count=1|units=2|dnb",
				"I J||2026-11-16|count=1|units=2",
			},
		},
		{
			name: "Claims Feed statuses",
			data: "Claims Feed Report\nReconciliation Mode: Transmission\n\nPatient,Date of Service,Status\nA B,11/16/2026,Not Sent\nC D,11/16/2026,NOT RE-BILLED\nE F,11/16/2026,Not Rebilled\nG H,11/16/2026,Transmission Successful\n",
			kind: rules.KindClaimsFeed,
			visits: []string{
				"A B||2026-11-16|count=1|units=0|notsent", "C D||2026-11-16|count=1|units=0|notrebilled",
				"E F||2026-11-16|count=1|units=0|notrebilled", "G H||2026-11-16|count=1|units=0",
			},
		},
		{
			name: "Insurance Class Summary",
			data: "Insurance Class Summary\nLocation: Downtown\n\nInsurance Class,Visits,New Patients\nCommercial,24,2\nMedicare,13,1\nTotal,37,3\n",
			kind: rules.KindInsuranceClassSummary, loc: "Downtown",
			check: func(t *testing.T, r *engine.Report) {
				if r.NewPatients[""] != 3 || r.Rows != 2 {
					t.Errorf("new patients = %v over %d rows, want 3 over 2", r.NewPatients, r.Rows)
				}
			},
		},
		{
			name:   "Billing Exceptions for all locations",
			data:   "Billing Exceptions Report\nAll Locations\n\nException Type,Patient,Date of Service,Location\nMissing authorization,\"RAMIREZ, LUIS\",11/19/2026,Downtown\n",
			kind:   rules.KindBillingExceptions,
			visits: []string{"RAMIREZ, LUIS|Downtown|2026-11-19|count=1|units=0|exception"},
		},
		{
			name: "the kind given by the user wins over the columns",
			data: "Patient,Date of Service,CPT Code,Units\nA B,11/16/2026,97110,1\n",
			opt:  Options{Kind: rules.KindDocumentedUnits},
			kind: rules.KindDocumentedUnits, visits: []string{"A B||2026-11-16|count=1|units=1"},
		},
		{
			name: "the user's location for a file that names none",
			data: "Patient,Date of Service,CPT Code,Units\nA B,11/16/2026,97110,1\n",
			opt:  Options{Location: "Eastside"},
			kind: rules.KindEMRBillingReport, loc: "Eastside",
		},
	})
}

func TestReadEncodings(t *testing.T) {
	csv := "Patient\tDate of Service\tCPT Code\tUnits\r\nGarcía, José\t11/16/2026\t97110\t2\r\n"
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	cp1252, err := charmap.Windows1252.NewEncoder().String("Patient,Date of Service,CPT Code,Units\r\n\"García, José\",11/16/2026,97110,2\r\n")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"utf-16 text": utf16, "windows-1252": cp1252} {
		t.Run(name, func(t *testing.T) {
			r, err := Read("export.txt", strings.NewReader(data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := visitsOf(r); !slices.Equal(got, []string{"García, José||2026-11-16|count=1|units=2"}) {
				t.Errorf("visits = %q", got)
			}
		})
	}
}

// xlsx builds a workbook: each sheet is a list of rows.
func xlsx(t testing.TB, sheets map[string][][]any, order []string, date1904 bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, name := range order {
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else {
			f.NewSheet(name)
		}
		for r, row := range sheets[name] {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(name, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadXLSX(t *testing.T) {
	nov16 := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	book := xlsx(t, map[string][][]any{
		"Cover": {{"Prepared for the billing office"}, {"See the next sheet"}},
		"Charges": {
			{"WebPT Billing"}, {"Charge Audit Summary"}, {"Location:", "Downtown"}, {},
			{"Patient", "Account #", "Date of Service", "Visits", "Units"},
			{"SMITH, JOHN", 101, nov16, 1, 3},         // a real date cell: a serial number
			{"DOE, JANE", "0102", "11/17/2026", 1, 2}, // a date typed as text
			{"Grand Total", nil, nil, 2, 5},
		},
	}, []string{"Cover", "Charges"}, false)
	r, err := Read("cas.xlsx", bytes.NewReader(book), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"DOE, JANE||2026-11-17|count=1|units=2|acct=0102",
		"SMITH, JOHN||2026-11-16|count=1|units=3|acct=101",
	}
	if r.Kind != rules.KindChargeAuditSummary || r.Location != "Downtown" || !slices.Equal(visitsOf(r), want) {
		t.Errorf("got %s at %q: %q", r.Kind, r.Location, visitsOf(r))
	}
	if r.GrandTotal.Visits == nil || *r.GrandTotal.Visits != 2 {
		t.Errorf("grand total = %+v", r.GrandTotal)
	}

	// A workbook on the 1904 date system: serials count from 1904-01-01.
	serial1904 := float64(rules.DateOf(2026, 11, 16) - rules.DateOf(1904, 1, 1))
	mac := xlsx(t, map[string][][]any{"S": {{"Patient", "Date of Service"}, {"A B", serial1904}}}, []string{"S"}, true)
	r, err = Read("mac.xlsx", bytes.NewReader(mac), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := visitsOf(r); !slices.Equal(got, []string{"A B||2026-11-16|count=1|units=0"}) {
		t.Errorf("1904 workbook: %q", got)
	}
}

// TestReadRefused checks the exact message a user sees for each file that
// cannot be used.
func TestReadRefused(t *testing.T) {
	goodXLSX := xlsx(t, map[string][][]any{"S": {{"Patient", "Date of Service"}, {"A B", "11/16/2026"}}}, []string{"S"}, false)
	const works = "balancebot reads CSV (comma, semicolon or tab separated) and Excel .xlsx exports"
	for _, tc := range []struct {
		name string
		file string
		data string
		want string
	}{
		{"PDF", "report.pdf", "%PDF-1.7\n%âãÏÓ\n1 0 obj",
			"report.pdf: this is a PDF, which cannot be read as data. " + works + ": export the report from WebPT as CSV or Excel instead of PDF."},
		{"empty", "empty.csv", "",
			"empty.csv: the file is empty. Export the report again; if it has no rows for these dates, there is nothing to balance."},
		{"blank lines only", "blank.csv", "\r\n\r\n,,,\r\n",
			"blank.csv: the file has no rows. Export the report again; if it has no rows for these dates, there is nothing to balance."},
		{"binary", "photo.jpg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
			"photo.jpg: this is not a text or Excel file (it holds binary data). " + works + "."},
		{"old xls", "old.xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
			"old.xls: this is an old Excel 97-2003 workbook (.xls) or a password-protected one. " + works + ": open it in Excel and save it as .xlsx or CSV (without a password)."},
		{"web page saved as xls", "grid.xls", "<html><body><table><tr><td>Patient</td></tr></table></body></html>",
			"grid.xls: this is a web page or XML, not a spreadsheet (some systems save web pages with an .xls name). " + works + ": open it in Excel and save it as .xlsx or CSV."},
		{"Apple Numbers", "week.numbers", "PK\x03\x04\x14\x00\x00\x00\x08\x00Index/Document.iwa",
			"week.numbers: this is an Apple Numbers spreadsheet. " + works + ": in Numbers, choose File > Export To > CSV (or Excel), and share that file."},
		{"Apple Numbers by its name", "week.numbers", "PK\x03\x04\x14\x00\x00\x00\x08\x00Metadata/Properties.plist",
			"week.numbers: this is an Apple Numbers spreadsheet. " + works + ": in Numbers, choose File > Export To > CSV (or Excel), and share that file."},
		{"zip archive", "exports.zip", "PK\x03\x04\x14\x00\x00\x00\x08\x00readme.txt",
			"exports.zip: this is a ZIP archive, not an Excel workbook. " + works + ": unzip it and use the export inside."},
		{"no header", "notes.csv", "Meeting notes\nCall the payer on Monday\nAsk about units\n",
			"notes.csv: no header row found in the first 60 rows: expected a row of column names such as Patient, Date of Service, CPT Code, Units or Visits. Export the report with its column headers shown."},
		{"unknown columns", "balances.csv", "Patient,Balance Due\nA B,40.00\n",
			"balances.csv: its columns (Patient, Balance Due) are not those of a report balancebot reads: it needs a Date of Service and a Patient column, with CPT Code and Units, Visits, Status or an exception reason depending on the report (or a New Patients column). Export the report with those columns shown."},
		{"impossible date", "emr.csv", "Patient,Date of Service,CPT Code,Units\nA B,11/16/2026,97110,1\nC D,13/45/2026,97110,1\n",
			"emr.csv, row 3: the Date of Service \"13/45/2026\" is not a date balancebot can read. It reads M/D/YYYY, M/D/YY and YYYY-MM-DD. Correct the cell, or export the report again."},
		{"February 30", "emr.csv", "Preamble\nPatient,DOS,CPT Code,Units\nA B,2026-02-30,97110,1\n",
			"emr.csv, row 3: the DOS \"2026-02-30\" is not a date balancebot can read. It reads M/D/YYYY, M/D/YY and YYYY-MM-DD. Correct the cell, or export the report again."},
		{"missing date of service", "dv.csv", "Patient,Date of Service,Therapist\nA B,11/16/2026,Reed\nC D,,Reed\n",
			"dv.csv, row 3: this row has no Date of Service. Fill it in, or remove the row if it is not a visit."},
		{"missing patient", "dv.csv", "Patient,Date of Service,Therapist\n,11/16/2026,Reed\n",
			"dv.csv, row 2: this row has a date of service but no patient. Fill in the patient, or remove the row if it is not a visit."},
		{"units not a number", "emr.csv", "Patient,Date of Service,CPT Code,Units\nA B,11/16/2026,97110,two\n",
			"emr.csv, row 2: the Units cell \"two\" is not a number. Correct the cell, or export the report again."},
		{"given kind lacks a column", "x.csv", "Patient,Date of Service\nA B,11/16/2026\n",
			"x.csv: it was given as a Claims Feed Report, but it has no Status column. Its columns are: Patient, Date of Service. Export the report with those columns shown."},
		{"broken workbook", "cut.xlsx", string(goodXLSX[:len(goodXLSX)/2]),
			"cut.xlsx: this Excel file cannot be opened; it may be damaged or cut short (zip: not a valid zip file). Download or export it again, or save it as CSV."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opt Options
			if tc.name == "given kind lacks a column" {
				opt.Kind = rules.KindClaimsFeed
			}
			_, err := Read(tc.file, strings.NewReader(tc.data), opt)
			if err == nil {
				t.Fatal("Read succeeded, want it refused")
			}
			if rules.ErrorCode(err) != rules.EInvalid {
				t.Errorf("code = %s, want invalid (a user's error)", rules.ErrorCode(err))
			}
			if got := rules.ErrorMessage(err); got != tc.want {
				t.Errorf("message:\n got %s\nwant %s", got, tc.want)
			}
			// What Slack may show quotes no cell of the file.
			safe := rules.SafeMessage(err)
			lines := strings.Split(tc.data, "\n")
			for _, line := range lines[min(1, len(lines)):] {
				if strings.HasPrefix(line, "Patient,") {
					continue // the header row: column names, which may be named
				}
				for _, cell := range strings.Split(line, ",") {
					if len(cell) >= 3 && strings.Contains(safe, cell) {
						t.Errorf("the safe message quotes the cell %q: %s", cell, safe)
					}
				}
			}
		})
	}
}

func TestReadUnknownKind(t *testing.T) {
	_, err := Read("mystery.csv", strings.NewReader("Patient,Account #,Balance Due\nA B,12,40.00\n"), Options{})
	msg := rules.ErrorMessage(err)
	for _, want := range []string{
		"mystery.csv: cannot tell which report this is.",
		"Its columns are: Patient, Account #, Balance Due.",
		"EMR Billing Report (emr_billing_report: needs Patient, Date of Service, CPT Code)",
		"Charge Audit Summary (charge_audit_summary: needs Date of Service)",
		"say which.",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// How to say which is the front end's to tell: a flag on the command
	// line, a word in Slack.
	if rules.ErrorFix(err) != rules.FixKind || strings.Contains(msg, "--") {
		t.Errorf("want the fix %q and no command-line flag in the message, got %q:\n%s", rules.FixKind, rules.ErrorFix(err), msg)
	}
	_, err = Read("created.csv", strings.NewReader("Patient,Created Date,Units\nA B,11/16/2026,1\n"), Options{})
	if msg := rules.ErrorMessage(err); !strings.Contains(msg, "no Date of Service column") || !strings.Contains(msg, "Date Type = Date of Service") {
		t.Errorf("a report run by created date should say how to run it by DOS:\n%s", msg)
	}
}

func TestReadRowLimit(t *testing.T) {
	data := "Patient,Date of Service\n" + strings.Repeat("A B,11/16/2026\n", 11)
	_, err := Read("big.csv", strings.NewReader(data), Options{MaxRows: 10})
	want := "big.csv: the file has more than 10 rows, the most balancebot takes in one file. Export a shorter date range, or one location at a time."
	if got := rules.ErrorMessage(err); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"11/16/2026": "2026-11-16", "1/2/2026": "2026-01-02", "01/02/26": "2026-01-02",
		"2026-11-16": "2026-11-16", "2026/11/16": "2026-11-16", "11-16-2026": "2026-11-16",
		"11/16/2026 23:59": "2026-11-16", "16-Nov-2026": "2026-11-16", "November 16, 2026": "2026-11-16",
		"2/29/2024": "2024-02-29",
	} {
		d, ok := parseDate(in, 0)
		if !ok || d.String() != want {
			t.Errorf("parseDate(%q) = %s, %v; want %s", in, d, ok, want)
		}
	}
	for _, bad := range []string{"", "13/1/2026", "2/29/2026", "11/16", "11/16/2026/1", "46342", "tomorrow", "11.16-2026", "0/1/2026"} {
		if d, ok := parseDate(bad, 0); ok {
			t.Errorf("parseDate(%q) = %s, want refused", bad, d)
		}
	}
	if d, ok := parseDate("46342", excel1900); !ok || d.String() != "2026-11-16" {
		t.Errorf("serial 46342 = %s, %v; want 2026-11-16", d, ok)
	}
	if d, ok := parseDate("46342.75", excel1900); !ok || d.String() != "2026-11-16" {
		t.Errorf("serial with a time = %s, %v", d, ok)
	}
}

func TestSniffDelimiter(t *testing.T) {
	for in, want := range map[string]rune{
		"Report title\nLocation: X\n\na,b,c\n1,2,3\n":    ',',
		"a;b;c\n\"x, y\";2;3\n":                          ';',
		"a\tb\tc\n1\t2\t3\n":                             '\t',
		"title, with a comma\na|b|c|d\n1|2|3|4\n5|6|7|8": '|',
	} {
		if got := sniffDelimiter([]byte(in)); got != want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", in, got, want)
		}
	}
}

// zipWith builds a zip holding the given parts.
func zipWith(t *testing.T, parts map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	zw.Close()
	return buf.Bytes()
}

func TestReadRefusesZipBombs(t *testing.T) {
	ct := []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`)
	for _, tc := range []struct {
		name  string
		parts map[string][]byte
		limit int64
		want  string
	}{
		{"a sheet that unpacks past the limit", map[string][]byte{"[Content_Types].xml": ct,
			"xl/worksheets/sheet1.xml": bytes.Repeat([]byte("<row><c><v>1</v></c></row>"), 300000)}, 4 << 20,
			"bomb.xlsx: this workbook unpacks to more than 4 MB"},
		{"a part compressed a thousand to one", map[string][]byte{"[Content_Types].xml": ct,
			"xl/worksheets/sheet1.xml": bytes.Repeat([]byte{' '}, 6<<20)}, 1 << 30,
			"bomb.xlsx: this workbook is compressed"},
		{"a huge shared-string table", map[string][]byte{"[Content_Types].xml": ct,
			"xl/sharedStrings.xml": randomish(3 << 20)}, 8 << 20,
			"bomb.xlsx: this workbook's table of text values is 3 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read("bomb.xlsx", bytes.NewReader(zipWith(t, tc.parts)), Options{MaxUnzip: tc.limit})
			if msg := rules.ErrorMessage(err); !strings.HasPrefix(msg, tc.want) || rules.ErrorCode(err) != rules.EInvalid {
				t.Errorf("got %q, want it to start %q", msg, tc.want)
			}
		})
	}
}

// randomish returns n bytes that do not compress much.
func randomish(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = 'a' + byte(x%26)
	}
	return b
}

// TestReadRefusesManyPartBombs: a workbook of many parts, each too small
// for the compression check, adds up to more than the memory budget; it is
// refused from its directory, before any part is unpacked, so reading it
// allocates a few megabytes, not hundreds.
func TestReadRefusesManyPartBombs(t *testing.T) {
	ct := []byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>`)
	part := make([]byte, 4<<20)
	parts := map[string][]byte{"[Content_Types].xml": ct}
	for i := range 70 { // 280 MB unpacked
		parts[fmt.Sprintf("xl/media/part%03d.bin", i)] = part
	}
	data := zipWith(t, parts)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Read("bomb.xlsx", bytes.NewReader(data), Options{MaxUnzip: 2 << 30})
	runtime.ReadMemStats(&after)
	if msg := rules.ErrorMessage(err); !strings.HasPrefix(msg, "bomb.xlsx: this workbook's parts add up to more than 256 MB to hold in memory") {
		t.Errorf("got %q", msg)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 32<<20 {
		t.Errorf("refusing a %d-byte bomb allocated %d MB", len(data), alloc>>20)
	}
	t.Logf("refusing a %d-byte bomb of 280 MB unpacked allocated %d KB; peak heap %d MB", len(data), alloc>>10, after.HeapSys>>20)
}
