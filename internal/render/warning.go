package render

import (
	"fmt"
	"strings"

	"github.com/balancebot/balancebot/internal/rules"
)

// WarningText says what a warning means for the balance and what to do
// about it, in words for any front end: it names no command-line flag and
// no Slack command. A warning that lists visits shows their patients in
// full with full set, else as initials and the last digits of an id.
func WarningText(w rules.Warning, full bool) string {
	where := w.Location
	if where == "" {
		where = "the location"
	}
	n := w.Count
	switch w.Code {
	case rules.WarnBillingExceptions:
		return fmt.Sprintf("%d %s held on the Billing Exceptions Report. Resolve each in WebPT Billing so it imports, then balance again.",
			n, Plural(n, "charge is", "charges are"))
	case rules.WarnClaimsNotSent:
		return fmt.Sprintf("%d Claims Feed %s Not Sent. Re-send them before trusting the balance.", n, Plural(n, "item is", "items are"))
	case rules.WarnClaimsNotRebilled:
		return fmt.Sprintf("%d Claims Feed %s Not Re-Billed. Open each note and use Finalize and Re-Bill.", n, Plural(n, "item is", "items are"))
	case rules.WarnHeaderTotals:
		in := "header"
		if w.TotalIn == rules.TotalGrandRow {
			in = "grand total row"
		}
		return fmt.Sprintf("%s: its %s says %s %s, but its rows give %s. Check that the export was not cut short or filtered, and pull it again if so.",
			w.File, in, optNum(w.Stated), w.TotalOf, optNum(w.Found))
	case rules.WarnDateBasis:
		return fmt.Sprintf("%s was run by %s, not by Date of Service, so its visits will not line up day by day. Run it again with Date Type = Date of Service.",
			w.File, w.DateBasis)
	case rules.WarnOutsidePeriod:
		return fmt.Sprintf("%s has %d %s dated outside %s; %s left out.", w.File, n, Plural(n, "visit", "visits"),
			optPeriod(w.Period), Plural(n, "it was", "they were"))
	case rules.WarnPeriodsDisagree:
		return fmt.Sprintf("The EMR reports cover %s but the billing reports cover %s; balancing the dates they share, %s. Run both for the same dates to balance the whole range.",
			optPeriod(w.EMRPeriod), optPeriod(w.BillingPeriod), optPeriod(w.Period))
	case rules.WarnReplaced:
		return fmt.Sprintf("%s and %s are both a %s for %s; the later one, %s, is used for those dates.",
			w.File, w.OtherFile, w.Kind.Title(), optPeriod(w.Period), w.OtherFile)
	case rules.WarnPerDay:
		return fmt.Sprintf("Billing for %s has visit counts per day, not per patient, so only day totals could be compared and %d unexplained %s cannot be listed by patient. Export the Charge Audit Summary with patient rows to list them.",
			where, n, Plural(n, "visit", "visits"))
	case rules.WarnNewPatientsSameDay:
		return fmt.Sprintf("New patients at %s: the EMR shows %s initial evaluations and billing %s. The difference is patients evaluated by more than one discipline the same day (PT and OT, say), whom billing counts once. Nothing to fix.",
			where, optNum(w.EMR), newPatients(w.Billing))
	case rules.WarnNewPatients:
		return fmt.Sprintf("New patients at %s: the EMR shows %s initial-evaluation units but billing %s. Check that each evaluated patient was set up as new in billing.",
			where, optNum(w.EMR), newPatients(w.Billing)) + evaluations(w.Evaluations, full)
	case rules.WarnNewPatientsPeriod:
		if w.BillingPeriod == nil || w.BillingPeriod.IsZero() {
			return fmt.Sprintf("%s states no date range, so its New Patients cannot be set against the EMR's initial evaluations for %s; nothing is said about billing's new-patient setup. Run it for exactly %s.",
				w.File, optPeriod(w.Period), optPeriod(w.Period))
		}
		return fmt.Sprintf("%s covers %s, not %s, the dates balanced, so its New Patients cannot be set against the EMR's initial evaluations; nothing is said about billing's new-patient setup. Run it for exactly %s to compare them.",
			w.File, optPeriod(w.BillingPeriod), optPeriod(w.Period), optPeriod(w.Period))
	case rules.WarnNewPatientsLocation:
		return fmt.Sprintf("The Insurance Class Summary names no location and the files name several (%s), so new patients were not compared. Run it for one location.",
			strings.Join(w.Locations, ", "))
	case rules.WarnCheckMissing:
		why := "a charge held there would explain a visit missing from billing."
		switch w.Kind {
		case rules.KindClaimsFeed:
			why = "a Not Sent or Not Re-Billed item would explain a visit missing from billing."
		case rules.KindDocumentedUnits:
			why = "a Do Not Bill or 0-unit note would explain a visit missing from billing."
		}
		return fmt.Sprintf("%d EMR %s unexplained and no %s was given; %s Pull it: %s.",
			n, Plural(n, "visit is", "visits are"), w.Kind.Title(), why, w.Kind.HowToPull())
	case rules.WarnLocationsPaired:
		billing := strings.Join(w.BillingLocations, ", ")
		return fmt.Sprintf("The EMR's %s and billing's %s were balanced as one location, %s: neither name fits any other. If they are one clinic, make it permanent by adding %q = %s to the location map; if they are two, add %q = %s and they are balanced apart.",
			w.Location, billing, w.Location, billing, w.Location, billing, billing)
	case rules.WarnLocationsUnpaired:
		return fmt.Sprintf("The EMR has visits at %s that billing has none for, and billing at %s that the EMR has none for, and no name pairs with exactly one other. If some are one clinic named two ways, add the billing name = the EMR name to the location map; until then each shows its visits as unexplained.",
			strings.Join(w.Locations, ", "), strings.Join(w.BillingLocations, ", "))
	case rules.WarnMissingSide:
		if w.Side == rules.SideBilling {
			return fmt.Sprintf("No billing report covers %s, so all its EMR visits show as unexplained. Add its Charge Audit Summary (%s).",
				where, rules.KindChargeAuditSummary.HowToPull())
		}
		return fmt.Sprintf("No EMR report covers %s, so all its billing visits show as unexplained. Add its EMR Billing Report or Documented Visits report.", where)
	}
	// A code this renderer does not know yet still says something useful.
	s := "Check " + strings.ReplaceAll(w.Code, "_", " ")
	if w.File != "" {
		s += " in " + w.File
	}
	if w.Location != "" {
		s += " at " + w.Location
	}
	return s + "."
}

func optPeriod(p *rules.Period) string {
	if p == nil {
		return "no dates"
	}
	return p.String()
}

// RunAgainFirst says what comes before any visit is worked: that
// locations are left unpaired on both sides (their visits are listed as
// one-sided only after that), and, for each report run by a date other
// than date of service, that it must be run again by Date of Service (by
// another date nothing lines up day by day, and every difference may come
// from that alone).
func RunAgainFirst(res *rules.Result) []string {
	var out []string
	for _, w := range res.Warnings {
		if w.Code == rules.WarnLocationsUnpaired {
			// Before any list of one-sided visits (result.md, Locations).
			out = append(out, WarningText(w, false)) // names no patient
		}
		if w.Code == rules.WarnDateBasis {
			out = append(out, fmt.Sprintf("Run %s again by Date of Service: it was run by %s, so its visits cannot line up day by day, and the differences below may all come from that. Balance again before working them.",
				w.File, w.DateBasis))
		}
	}
	return out
}

// saidFirst reports whether a warning leads the answer (RunAgainFirst), so
// the list of warnings below need not say it again.
func saidFirst(w rules.Warning) bool {
	return w.Code == rules.WarnLocationsUnpaired || w.Code == rules.WarnDateBasis
}

// evaluations lists the EMR's initial-evaluation visits, the first 20.
func evaluations(es []rules.Evaluation, full bool) string {
	if len(es) == 0 {
		return ""
	}
	const most = 20
	var parts []string
	for i, e := range es {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(es)-most))
			break
		}
		p := Patient(rules.Mismatch{Patient: e.Patient, PatientID: e.PatientID}, full)
		what := Num(e.Units)
		if e.Code != "" {
			what = e.Code + ", " + what
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", p, DayLabel(e.DateOfService), what))
	}
	return " The EMR's initial evaluations: " + strings.Join(parts, "; ") + "."
}

// newPatients writes billing's New Patients count: "1 new patient".
func newPatients(n *float64) string {
	if n != nil && *n == 1 {
		return "1 new patient"
	}
	return optNum(n) + " new patients"
}
