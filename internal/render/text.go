package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/balancebot/balancebot/internal/rules"
)

// Text writes the result for a person at a terminal: the verdict, a summary
// table of the locations, then per location the days and the mismatches
// grouped by reason with what to do about each, then the warnings and the
// files read. full shows patient names in full (the command line's files
// are the user's own).
func Text(w io.Writer, res *rules.Result, full bool) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	verdict, rest, _ := strings.Cut(Headline(res), ": ")
	p("%s", strings.ToUpper(verdict))
	if rest != "" {
		p(": %s", rest)
	}
	p(" (%s)\n\n", periodLabel(res.Period()))
	for _, first := range RunAgainFirst(res) {
		p("%s\n", wrap("FIRST: "+first, "  ", 96))
	}

	width := len("Location")
	for i := range res.Locations {
		width = max(width, len(LocationName(&res.Locations[i])))
	}
	p("%-*s  %-12s  %5s  %7s  %7s  %10s\n", width, "Location", "Result", "EMR", "Billing", "Matched", "Difference")
	for i := range res.Locations {
		l := &res.Locations[i]
		verdict := "balanced"
		if !l.Balanced {
			verdict = "NOT balanced"
		}
		p("%-*s  %-12s  %5d  %7d  %7d  %10s\n", width, LocationName(l), verdict, l.EMRVisits, l.BillingVisits, l.MatchedVisits, Signed(l.Difference()))
	}

	for i := range res.Locations {
		l := &res.Locations[i]
		p("\n== %s ==\n", LocationName(l))
		p("%s\n", explainLine(l))
		if l.EMRUnits != nil || l.BillingUnits != nil {
			p("Units (information only, payers scrub units): EMR %s, billing %s.\n", optNum(l.EMRUnits), optNum(l.BillingUnits))
		}
		if np := l.NewPatients; np != nil {
			p("New patients: %s initial-evaluation units in the EMR, %s new patients in billing", Num(np.EMR), Num(np.Billing))
			if np.SameDay > 0 {
				p(" (%s from same-day evaluations by two disciplines)", Num(np.SameDay))
			}
			p(".\n")
		}
		if len(l.Days) > 1 {
			p("\n  %-9s  %5s  %7s  %7s\n", "Day", "EMR", "Billing", "Matched")
			for _, d := range l.Days {
				mark := ""
				if d.EMRVisits != d.BillingVisits {
					mark = "  " + Signed(d.EMRVisits-d.BillingVisits)
				}
				p("  %-9s  %5d  %7d  %7d%s\n", DayLabel(d.Date), d.EMRVisits, d.BillingVisits, d.MatchedVisits, mark)
			}
		}
		for _, g := range GroupByReason(l) {
			n := len(g.Mismatches)
			tag := "expected"
			if g.Reason.NeedsAction() {
				tag = "NEEDS ACTION"
			}
			p("\n%s: %d %s [%s]\n", g.Reason.Title(), n, Plural(n, "visit", "visits"), tag)
			p("%s", wrap("Why: "+sentence(g.Reason.Explain()), "  ", 96))
			p("%s", wrap("To do: "+g.Reason.Todo(), "  ", 96))
			for _, m := range g.Mismatches {
				p("    %s\n", MismatchLine(m, full))
			}
		}
	}

	var warnings []rules.Warning
	for _, w := range res.Warnings {
		if !saidFirst(w) {
			warnings = append(warnings, w)
		}
	}
	if len(warnings) > 0 {
		p("\nBefore you trust this balance:\n")
		for _, w := range warnings {
			p("%s", wrap("- "+WarningText(w, full), "  ", 96))
		}
	}
	if len(res.Inputs) > 0 {
		p("\nRead:\n")
		for _, in := range res.Inputs {
			p("  %s\n", InputLine(in))
		}
	}
	return bw.Flush()
}

// explainLine says in one sentence how the difference is made up.
func explainLine(l *rules.Location) string {
	emrOnly, billOnly := 0, 0
	for _, m := range l.Mismatches {
		if m.Side == rules.SideEMR {
			emrOnly++
		} else {
			billOnly++
		}
	}
	if emrOnly+billOnly == 0 {
		return fmt.Sprintf("All %d visits match.", l.MatchedVisits)
	}
	s := fmt.Sprintf("%d matched; %d on the EMR only, %d on billing only", l.MatchedVisits, emrOnly, billOnly)
	if a := l.ActionCount(); a > 0 {
		return s + fmt.Sprintf("; %d %s action.", a, Plural(a, "needs", "need"))
	}
	return s + "; all explained, nothing to fix."
}

func optNum(f *float64) string {
	if f == nil {
		return "not in the export"
	}
	return Num(*f)
}

// periodLabel formats a period with weekdays: "Mon 2026-11-16 to Fri
// 2026-11-20".
func periodLabel(p rules.Period) string {
	switch {
	case p.IsZero():
		return "no dates"
	case p.From == p.To:
		return p.From.Weekday().String()[:3] + " " + p.From.String()
	}
	return p.From.Weekday().String()[:3] + " " + p.From.String() + " to " + p.To.Weekday().String()[:3] + " " + p.To.String()
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// wrap breaks s into lines of at most width, indenting the lines after the
// first.
func wrap(s, indent string, width int) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if line+1+len(word) > width {
				b.WriteString("\n" + indent)
				line = len(indent)
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(word)
		line += len(word)
	}
	b.WriteByte('\n')
	return b.String()
}
