package render

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/balancebot/balancebot/internal/rules"
)

func TestPatientMasking(t *testing.T) {
	m := rules.Mismatch{Patient: "Smith, John M.", Account: "10482"}
	if got := Patient(m, true); got != "Smith, John M. (acct 10482)" {
		t.Errorf("full = %q", got)
	}
	if got := Patient(m, false); got != "J.S. (acct …482)" {
		t.Errorf("masked = %q", got)
	}
	for name, want := range map[string]string{
		"Smith, John": "J.S.", "JOHN SMITH": "J.S.", "De La Cruz, Maria": "M.D.", "Cher": "C.", "": "?", "élise dupont": "E.D.",
	} {
		if got := Initials(name); got != want {
			t.Errorf("Initials(%q) = %q, want %q", name, got, want)
		}
	}
	if got := Patient(rules.Mismatch{PatientID: "P1002"}, false); got != "? (id …002)" {
		t.Errorf("id only = %q", got)
	}
	if got := Patient(rules.Mismatch{}, false); !strings.Contains(got, "day totals") {
		t.Errorf("a per-day mismatch = %q", got)
	}
}

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "Smith, John": "Smith, John", "": "",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVMaskedAndSafe(t *testing.T) {
	res := &rules.Result{Locations: []rules.Location{{
		Location: "Downtown",
		Mismatches: []rules.Mismatch{
			{Side: rules.SideEMR, Patient: "=cmd|' /C calc'!A0", DateOfService: rules.DateOf(2026, 11, 16), Reason: rules.ReasonUnexplained, NeedsAction: true},
			{Side: rules.SideBilling, Patient: "Smith, John", Account: "10482", DateOfService: rules.DateOf(2026, 11, 17), Reason: rules.ReasonDuplicate, NeedsAction: true},
		},
	}}}
	var full, masked bytes.Buffer
	if err := CSV(&full, res, true); err != nil {
		t.Fatal(err)
	}
	if err := CSV(&masked, res, false); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&full).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][3] != "patient" || rows[1][3] != "'=cmd|' /C calc'!A0" || rows[2][5] != "10482" {
		t.Errorf("full CSV rows: %q", rows)
	}
	if s := masked.String(); strings.Contains(s, "Smith") || strings.Contains(s, "10482") || !strings.Contains(s, "J.S.") || !strings.Contains(s, "…482") {
		t.Errorf("masked CSV leaks or loses the patient:\n%s", s)
	}
}

func TestWrap(t *testing.T) {
	got := wrap("one two three four five", "  ", 10)
	if got != "one two\n  three\n  four\n  five\n" {
		t.Errorf("wrap = %q", got)
	}
}

// An input's line names a few locations one by one; a chain's hundreds are
// counted, with the first and last, so the line stays a line.
func TestInputLineLocations(t *testing.T) {
	in := rules.Input{File: "emr.csv", Kind: rules.KindEMRBillingReport, Locations: []string{"Downtown", "Uptown"}, Rows: 102, Visits: 45}
	if got, want := InputLine(in), "emr.csv: EMR Billing Report, Downtown, Uptown, 102 rows, 45 visits"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	in.Locations = nil
	for i := 1; i <= 300; i++ {
		in.Locations = append(in.Locations, fmt.Sprintf("Clinic %03d", i))
	}
	if got, want := InputLine(in), "emr.csv: EMR Billing Report, 300 locations (Clinic 001 … Clinic 300), 102 rows, 45 visits"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWarningText(t *testing.T) {
	week := &rules.Period{From: rules.DateOf(2026, 11, 16), To: rules.DateOf(2026, 11, 20)}
	emrWeek := &rules.Period{From: rules.DateOf(2026, 11, 16), To: rules.DateOf(2026, 11, 22)}
	f := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		w    rules.Warning
		want []string // facts the words must carry
	}{
		{rules.Warning{Code: rules.WarnBillingExceptions, Count: 2}, []string{"2 charges are held"}},
		{rules.Warning{Code: rules.WarnClaimsNotSent, Count: 1}, []string{"1 Claims Feed item is Not Sent"}},
		{rules.Warning{Code: rules.WarnClaimsNotRebilled, Count: 3}, []string{"3 Claims Feed items are Not Re-Billed"}},
		{rules.Warning{Code: rules.WarnHeaderTotals, File: "emr.csv", TotalIn: rules.TotalGrandRow, TotalOf: rules.TotalUnits, Stated: f(310), Found: f(298.5)},
			[]string{"emr.csv", "grand total row", "310 units", "298.50"}},
		{rules.Warning{Code: rules.WarnDateBasis, File: "cas.csv", DateBasis: "Created Date"}, []string{"cas.csv", "Created Date", "Date of Service"}},
		{rules.Warning{Code: rules.WarnOutsidePeriod, File: "emr.csv", Count: 4, Period: week}, []string{"emr.csv", "4 visits", "2026-11-16 to 2026-11-20"}},
		{rules.Warning{Code: rules.WarnPeriodsDisagree, EMRPeriod: emrWeek, BillingPeriod: week, Period: week}, []string{"2026-11-22", "2026-11-20"}},
		{rules.Warning{Code: rules.WarnReplaced, File: "v1.csv", OtherFile: "v2.csv", Kind: rules.KindChargeAuditSummary, Period: week},
			[]string{"v1.csv", "v2.csv", "Charge Audit Summary", "2026-11-16"}},
		{rules.Warning{Code: rules.WarnPerDay, Location: "Uptown", Count: 2}, []string{"Uptown", "2 unexplained visits"}},
		{rules.Warning{Code: rules.WarnNewPatientsSameDay, Location: "Downtown", Count: 1, EMR: f(4), Billing: f(3)}, []string{"Downtown", "4 initial", "3 new", "Nothing to fix"}},
		{rules.Warning{Code: rules.WarnNewPatients, Location: "Downtown", Count: 2, EMR: f(5), Billing: f(3)}, []string{"5 initial", "3 new"}},
		{rules.Warning{Code: rules.WarnNewPatientsLocation, Locations: []string{"Downtown", "Uptown"}}, []string{"Downtown, Uptown"}},
		{rules.Warning{Code: rules.WarnNewPatientsPeriod, File: "ics.csv", BillingPeriod: emrWeek, Period: week}, []string{"ics.csv covers 2026-11-16 to 2026-11-22, not 2026-11-16 to 2026-11-20", "nothing is said"}},
		{rules.Warning{Code: rules.WarnNewPatientsPeriod, File: "ics.csv", Period: week}, []string{"ics.csv states no date range"}},
		{rules.Warning{Code: rules.WarnCheckMissing, Count: 1, Kind: rules.KindClaimsFeed}, []string{"1 EMR visit is", "Claims Feed Report", "Not Sent"}},
		{rules.Warning{Code: rules.WarnLocationsPaired, Location: "Downtown", BillingLocations: []string{"DOWNTOWN PT"}},
			[]string{"The EMR's Downtown and billing's DOWNTOWN PT were balanced as one location, Downtown", `"DOWNTOWN PT" = Downtown`, `"DOWNTOWN PT" = DOWNTOWN PT`}},
		{rules.Warning{Code: rules.WarnLocationsUnpaired, Locations: []string{"Downtown East"}, BillingLocations: []string{"North Side", "DT West"}},
			[]string{"EMR has visits at Downtown East", "billing at North Side, DT West", "location map"}},
		{rules.Warning{Code: rules.WarnMissingSide, Location: "Uptown", Side: rules.SideBilling}, []string{"No billing report covers Uptown", "Charge Audit Summary"}},
		{rules.Warning{Code: rules.WarnMissingSide, Location: "Uptown", Side: rules.SideEMR}, []string{"No EMR report covers Uptown"}},
		{rules.Warning{Code: "something_new", File: "x.csv"}, []string{"something new", "x.csv"}},
	} {
		got := WarningText(c.w, true)
		for _, want := range c.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s: %q lacks %q", c.w.Code, got, want)
			}
		}
		if strings.Contains(got, "--") || strings.Contains(got, "/balance") {
			t.Errorf("%s: %q names a front end's command", c.w.Code, got)
		}
	}
}

func TestNewPatientsWarningListsEvaluations(t *testing.T) {
	three := 3.0
	one := 1.0
	w := rules.Warning{Code: rules.WarnNewPatients, Location: "Downtown", Count: 2, EMR: &three, Billing: &one,
		Evaluations: []rules.Evaluation{
			{Patient: "Smith, John", PatientID: "P10482", DateOfService: rules.DateOf(2026, 11, 16), Code: "97161", Units: 1},
			{Patient: "Doe, Jane", DateOfService: rules.DateOf(2026, 11, 17), Units: 2},
		}}
	full := WarningText(w, true)
	if !strings.Contains(full, "The EMR's initial evaluations: Smith, John (id P10482) Mon 11/16 (97161, 1); Doe, Jane Tue 11/17 (2).") {
		t.Errorf("full: %s", full)
	}
	masked := WarningText(w, false)
	if strings.Contains(masked, "Smith") || strings.Contains(masked, "10482") ||
		!strings.Contains(masked, "J.S. (id …482) Mon 11/16 (97161, 1); J.D. Tue 11/17 (2)") {
		t.Errorf("masked for Slack: %s", masked)
	}
}
