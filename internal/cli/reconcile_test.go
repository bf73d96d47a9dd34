package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func examples(t *testing.T, week string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", week, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example files for %s: %v", week, err)
	}
	return files
}

func run(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = command().Reconcile(args, &out, &errb)
	return out.String(), errb.String(), code
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n--- got ---\n%s", name, got)
	}
}

func TestReconcileGolden(t *testing.T) {
	for _, tc := range []struct {
		week string
		code int
	}{
		{"soap1-week", ExitNotBalanced},
		{"soap2-week", ExitBalanced},
	} {
		for _, format := range []string{"text", "json", "csv"} {
			t.Run(tc.week+"/"+format, func(t *testing.T) {
				args := append([]string{"--format", format}, examples(t, tc.week)...)
				out, errs, code := run(args...)
				if code != tc.code {
					t.Errorf("exit status %d, want %d (stderr %s)", code, tc.code, errs)
				}
				if errs != "" {
					t.Errorf("stderr: %s", errs)
				}
				ext := map[string]string{"text": "txt", "json": "json", "csv": "csv"}[format]
				golden(t, tc.week+"."+ext, out)
			})
		}
	}
}

// TestReconcileJSONContract checks the fields docs/result.md names, so the
// public JSON cannot drift with a careless -update.
func TestReconcileJSONContract(t *testing.T) {
	out, _, _ := run(append([]string{"--format", "json"}, examples(t, "soap1-week")...)...)
	var res struct {
		Balanced  *bool   `json:"balanced"`
		From      *string `json:"from"`
		To        *string `json:"to"`
		Locations []struct {
			Location      string         `json:"location"`
			Balanced      *bool          `json:"balanced"`
			EMRVisits     *int           `json:"emr_visits"`
			BillingVisits *int           `json:"billing_visits"`
			MatchedVisits *int           `json:"matched_visits"`
			Reasons       map[string]int `json:"reasons"`
			EMRUnits      *float64       `json:"emr_units"`
			BillingUnits  *float64       `json:"billing_units"`
			NewPatients   *struct {
				EMR     *float64 `json:"emr"`
				Billing *float64 `json:"billing"`
			} `json:"new_patients"`
			Days []struct {
				Date          string `json:"date"`
				EMRVisits     *int   `json:"emr_visits"`
				BillingVisits *int   `json:"billing_visits"`
			} `json:"days"`
			Mismatches []struct {
				Side          string `json:"side"`
				Patient       string `json:"patient"`
				DateOfService string `json:"date_of_service"`
				Reason        string `json:"reason"`
			} `json:"mismatches"`
		} `json:"locations"`
		Warnings []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Balanced == nil || *res.Balanced || res.From == nil || *res.From != "2026-11-16" || res.To == nil || *res.To != "2026-11-20" || len(res.Locations) != 1 {
		t.Fatalf("top level: %+v", res)
	}
	l := res.Locations[0]
	if l.Location != "Downtown" || l.EMRVisits == nil || *l.EMRVisits != 45 || *l.BillingVisits != 41 || *l.MatchedVisits != 39 {
		t.Errorf("location: %+v", l)
	}
	want := map[string]int{"norcm": 2, "no_charge": 1, "billing_exception": 1, "claims_feed_not_rebilled": 1, "dos_mismatch": 2, "unexplained": 1}
	if len(l.Reasons) != len(want) {
		t.Errorf("reasons = %v, want %v", l.Reasons, want)
	}
	total := 0
	for r, n := range want {
		if l.Reasons[r] != n {
			t.Errorf("reasons[%s] = %d, want %d", r, l.Reasons[r], n)
		}
		total += n
	}
	if len(l.Mismatches) != total {
		t.Errorf("%d mismatches, reasons count %d", len(l.Mismatches), total)
	}
	if l.NewPatients == nil || *l.NewPatients.EMR != 3 || *l.NewPatients.Billing != 3 || l.EMRUnits == nil || *l.BillingUnits != 137 {
		t.Errorf("new patients / units: %+v", l)
	}
	if len(l.Days) != 5 || l.Days[0].Date != "2026-11-16" {
		t.Errorf("days: %+v", l.Days)
	}
	for _, m := range l.Mismatches {
		if m.Side == "" || m.Patient == "" || m.DateOfService == "" || m.Reason == "" {
			t.Errorf("incomplete mismatch %+v", m)
		}
	}
	codes := map[string]bool{}
	for _, w := range res.Warnings {
		codes[w.Code] = true
	}
	if !codes["billing_exceptions_open"] || !codes["claims_feed_not_rebilled"] {
		t.Errorf("warnings: %+v", res.Warnings)
	}
}

// writer returns a function that writes a file into dir and returns its
// path.
func writer(t *testing.T, dir string) func(name, data string) string {
	return func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func TestReconcileTrouble(t *testing.T) {
	dir := t.TempDir()
	write := writer(t, dir)
	emr := write("emr.csv", "Patient,Date of Service,CPT Code,Units\nA B,11/16/2026,97110,1\n")
	cas := write("cas.csv", "Patient,Date of Service,Visits\nA B,11/16/2026,1\n")
	pdf := write("report.pdf", "%PDF-1.7 ...")
	bad := write("bad.csv", "Patient,Date of Service,CPT Code,Units\nA B,99/99/2026,97110,1\n")
	mystery := write("mystery.csv", "Patient,Account #,Balance Due\nA B,12,40.00\n")
	for _, tc := range []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"a PDF among the files", []string{emr, cas, pdf}, []string{"report.pdf: this is a PDF", "Nothing was balanced: fix that file and run again."}},
		{"every bad file is named", []string{emr, pdf, bad}, []string{"report.pdf: this is a PDF", "bad.csv, row 2: the Date of Service \"99/99/2026\"", "fix those files"}},
		{"a kind not told: the flag that tells it", []string{emr, mystery}, []string{"mystery.csv: cannot tell which report this is", "insurance_class_summary: needs New Patients). If it is one of them, say which. Say it with --kind FILE=KIND."}},
		{"no billing side", []string{emr}, []string{"No billing side to balance", "Charge Audit Summary", "Given: emr.csv (EMR Billing Report)."}},
		{"no files", nil, []string{"no files given", "usage: balancebot reconcile"}},
		{"missing file", []string{emr, filepath.Join(dir, "nope.csv")}, []string{"nope.csv: cannot open the file: no such file or directory"}},
		{"bad format", []string{"--format", "xml", emr, cas}, []string{"--format is text, json or csv"}},
		{"bad date", []string{"--from", "11/16/2026", emr, cas}, []string{"--from: \"11/16/2026\" is not a date in the form YYYY-MM-DD"}},
		{"bad kind", []string{"--kind", "cas.csv=invoice", emr, cas}, []string{"unknown report kind \"invoice\""}},
		{"kind for a file not given", []string{"--kind", "other.csv=claims_feed", emr, cas}, []string{"--kind names other.csv, which is not one of the files given"}},
		{"unknown flag", []string{"--colour", emr, cas}, []string{"flag provided but not defined: -colour"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(tc.args...)
			if code != ExitTrouble {
				t.Errorf("exit status %d, want 2", code)
			}
			if out != "" {
				t.Errorf("stdout must be empty on trouble, got %q", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
		})
	}
}

func TestReconcileOptions(t *testing.T) {
	dir := t.TempDir()
	write := writer(t, dir)
	// Two clinics in the EMR file; billing names none.
	emr := write("emr.csv", "Patient,Date of Service,Clinic,CPT Code,Units\nA B,11/16/2026,Downtown,97110,1\nC D,11/16/2026,Uptown,97110,1\nE F,11/20/2026,Downtown,97110,1\n")
	cas := write("cas.csv", "Patient,Date of Service,Visits\nA B,11/16/2026,1\n")
	_, errs, code := run(emr, cas)
	if code != ExitTrouble || !strings.Contains(errs, "cas.csv: this Charge Audit Summary names no location, and the other files name several (Downtown, Uptown)") ||
		!strings.Contains(errs, "Say it with --location NAME.") {
		t.Errorf("without --location: %d %s", code, errs)
	}
	// Flags after the files, --location naming billing's clinic, and a
	// period that leaves out the 20th.
	out, errs, code := run(emr, cas, "--location", "downtown", "--to", "2026-11-19", "--format", "json")
	if code != ExitNotBalanced {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		To        string `json:"to"`
		Locations []struct {
			Location  string `json:"location"`
			Balanced  bool   `json:"balanced"`
			EMRVisits int    `json:"emr_visits"`
		} `json:"locations"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.To != "2026-11-19" || len(res.Locations) != 2 || res.Locations[0].Location != "Downtown" ||
		!res.Locations[0].Balanced || res.Locations[0].EMRVisits != 1 || res.Locations[1].Balanced {
		t.Errorf("result: %+v", res)
	}
	// --kind by base name turns a check report into the billing side.
	odd := write("odd.csv", "Patient,Date of Service,Status\nA B,11/16/2026,Posted\n")
	if _, errs, code := run(emr, odd, "--location", "Downtown", "--from", "2026-11-16", "--to", "2026-11-16"); code != ExitTrouble || !strings.Contains(errs, "No billing side") {
		t.Errorf("odd.csv is a Claims Feed by its columns: %d %s", code, errs)
	}
	out, errs, code = run(emr, odd, "--kind", "odd.csv=charge_audit_summary", "--location", "Downtown", "--to", "2026-11-16", "--format", "json")
	if code != ExitNotBalanced || errs != "" {
		t.Fatalf("with --kind: exit %d %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Locations[0].Balanced || res.Locations[0].Location != "Downtown" || res.Locations[1].Balanced {
		t.Errorf("with --kind odd.csv is the billing side for Downtown: %+v", res)
	}
}
