package cli

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRealWorldCases balances the exports of each folder under
// testdata/cases, made the way offices make them, and checks what a user
// would: the exit status, the reasons per location, the warnings, and
// words the answer must (or must not) say.
func TestRealWorldCases(t *testing.T) {
	for _, c := range []struct {
		dir  string
		args []string
		code int
		// reasons per location, as the JSON counts them.
		reasons map[string]map[string]int
		// warnings lists codes that must be among the warnings.
		warnings []string
		// say and never are words the text answer must and must not hold.
		say, never []string
	}{
		{dir: "claims-feed-other-status", code: ExitNotBalanced,
			reasons:  map[string]map[string]int{"": {"claims_feed_not_sent": 1}},
			warnings: []string{"claims_feed_not_sent"},
			say:      []string{"Claims Feed: Not Sent"}},
		// A Java-based exporter writes the account 10028 as "10028.0".
		{dir: "number-cells", args: []string{"--kind", "emr.csv=emr_billing_report"}, code: ExitNotBalanced,
			reasons: map[string]map[string]int{"": {"unexplained": 1}}},
		// Two patients named John Smith the same day, billed under two
		// accounts, against a second charge of Jane Doe's under one.
		{dir: "same-name-patients", code: ExitNotBalanced,
			reasons: map[string]map[string]int{"": {"duplicate": 1, "unexplained": 1}},
			say:     []string{"Smith, John (acct 20417)  (another patient of the same name: the matched visit is under acct 10028)"},
			never:   []string{"Smith, John (acct 20417)  \n", "billing only  Mon 11/16  Smith, John (acct 10028)"}},
		// A Charge Audit Summary grouped by date of service, its headings
		// in the Date of Service column, with a grand total.
		{dir: "group-rows", code: ExitBalanced, reasons: map[string]map[string]int{"": {}},
			say: []string{"cas.csv: Charge Audit Summary, 2026-11-16 to 2026-11-17, 3 rows, 3 visits"}},
		// An EMR Billing Report grouped by CPT code, "Total 97110" in the
		// CPT column: units counted once, the grand total agreeing.
		{dir: "subtotal-in-cpt", code: ExitBalanced, reasons: map[string]map[string]int{"": {}},
			say:   []string{"Units (information only, payers scrub units): EMR 4,"},
			never: []string{"cut short"}},
		// The example week balanced over three of its five days: its
		// Insurance Class Summary covers the week, so no claim is made
		// about billing's new patients.
		{dir: "../../../../examples/soap1-week", args: []string{"--from", "2026-11-16", "--to", "2026-11-18"}, code: ExitNotBalanced,
			reasons:  map[string]map[string]int{"Downtown": {"no_charge": 1, "norcm": 1, "unexplained": 2}},
			warnings: []string{"new_patients_period"},
			say:      []string{"covers 2026-11-16 to 2026-11-20, not 2026-11-16 to 2026-11-18"},
			never:    []string{"set up as new in billing"}},
		// A Charge Audit Summary run by Created Date: running it again by
		// Date of Service is the first thing the answer says.
		{dir: "created-date", code: ExitNotBalanced,
			reasons:  map[string]map[string]int{"": {"unexplained": 1}},
			warnings: []string{"date_basis_not_dos"},
			say:      []string{"(Mon 2026-11-16 to Fri 2026-11-20)\n\nFIRST: Run cas.csv again by Date of Service: it was run by Created Date"}},
		// The EMR says Downtown, billing DOWNTOWN PT: one plausible pair,
		// balanced as one, with a warning saying how to keep or undo it.
		{dir: "locations-differ", code: ExitBalanced, reasons: map[string]map[string]int{"Downtown": {}},
			warnings: []string{"locations_paired"},
			say:      []string{"The EMR's Downtown and billing's DOWNTOWN PT were balanced as one location, Downtown"}},
		// Billing has Downtown Clinic and Downtown Rehab LLC: both fit
		// Downtown, so none is paired, and the answer says so first,
		// without asking for the exports that were given.
		{dir: "locations-ambiguous", code: ExitNotBalanced,
			reasons: map[string]map[string]int{"Downtown": {"unexplained": 3}, "Downtown Clinic": {"unexplained": 3},
				"Downtown Rehab LLC": {"unexplained": 1}},
			warnings: []string{"locations_unpaired"},
			say:      []string{"\n\nFIRST: The EMR has visits at Downtown that billing has none for, and billing at Downtown Clinic,"},
			never:    []string{"Add its Charge Audit Summary", "Add its EMR Billing Report"}},
		// The same with the user's map saying Downtown Clinic is Downtown.
		{dir: "locations-ambiguous", args: []string{"--location-map", "testdata/cases/locations-map.csv"}, code: ExitNotBalanced,
			reasons: map[string]map[string]int{"Downtown": {}, "Downtown Rehab LLC": {"unexplained": 1}},
			never:   []string{"FIRST:"}},
		// The same patients written differently: a nickname, a second
		// surname, a typo; and two patients who are not alike at all.
		{dir: "name-variants", code: ExitNotBalanced,
			reasons: map[string]map[string]int{"": {"name_mismatch": 6, "unexplained": 2}},
			say: []string{"billing only  Mon 11/16  JOHNSON, BOB  (the EMR writes Johnson, Robert)",
				"EMR only      Mon 11/16  Lopez Garcia, Juan Carlos  (billing writes LOPEZ, JUAN)",
				"billing only  Tue 11/17  KOWALSKY, ANNA  (the EMR writes Kowalski, Anna)"},
			never: []string{"Reyes, Ana  (", "Torres, Luis  ("}},
		// The details show what helps to work each visit: the therapist,
		// the exception type, the Claims Feed status as written.
		{dir: "worked-details", code: ExitNotBalanced,
			reasons: map[string]map[string]int{"": {"billing_exception": 1, "claims_feed_not_sent": 1}},
			say: []string{"EMR only      Mon 11/16  Able, Ann  [therapist Reed, PT; Missing Authorization]",
				"EMR only      Mon 11/16  Baker, Bo  [therapist Lee, OT; Transmission Failed]"}},
		// Separate Last Name and First Name columns, accents on one side
		// only, an apostrophe dropped by billing.
		{dir: "names-split-and-accents", code: ExitBalanced, reasons: map[string]map[string]int{"": {}}},
		// Two initial evaluations against one new patient in billing: the
		// warning lists the evaluations, so the difference can be found.
		{dir: "new-patients-differ", code: ExitBalanced, reasons: map[string]map[string]int{"": {}},
			warnings: []string{"new_patients_differ"},
			say:      []string{"billing 1 new\n  patient. Check", "evaluations: Able, Ann Mon 11/16 (97161, 1); Cole, Cy Tue 11/17 (97162, 1)."}},
		// SOAP 2.0: the evaluations come from the Documented Units report,
		// and are listed as well.
		{dir: "new-patients-differ-soap2", code: ExitBalanced, reasons: map[string]map[string]int{"": {}},
			warnings: []string{"new_patients_differ"},
			say:      []string{"billing 1 new\n  patient. Check", "evaluations: Able, Ann Mon 11/16 (97161, 1); Cole, Cy Tue 11/17 (97162, 1)."}},
	} {
		t.Run(c.dir, func(t *testing.T) {
			files, err := filepath.Glob(filepath.Join("testdata", "cases", c.dir, "*"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no files in %s: %v", c.dir, err)
			}
			slices.Sort(files)
			args := append(append([]string{"--format", "json"}, c.args...), files...)
			out, errs, code := run(args...)
			if code != c.code {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, c.code, errs)
			}
			if code == ExitTrouble {
				return
			}
			var res struct {
				Locations []struct {
					Location string         `json:"location"`
					Reasons  map[string]int `json:"reasons"`
				} `json:"locations"`
				Warnings []struct {
					Code string `json:"code"`
				} `json:"warnings"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string]int{}
			for _, l := range res.Locations {
				got[l.Location] = l.Reasons
			}
			if !maps.EqualFunc(got, c.reasons, maps.Equal) {
				t.Errorf("reasons %v, want %v", got, c.reasons)
			}
			var codes []string
			for _, w := range res.Warnings {
				codes = append(codes, w.Code)
			}
			for _, w := range c.warnings {
				if !slices.Contains(codes, w) {
					t.Errorf("warnings %v lack %s", codes, w)
				}
			}
			text, _, _ := run(append(append([]string{}, c.args...), files...)...)
			for _, s := range c.say {
				if !strings.Contains(text, s) {
					t.Errorf("the answer lacks %q:\n%s", s, text)
				}
			}
			for _, s := range c.never {
				if strings.Contains(text, s) {
					t.Errorf("the answer says %q:\n%s", s, text)
				}
			}
		})
	}
}
