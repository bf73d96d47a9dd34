// Package render turns a rules.Result into what people and scripts read:
// plain text for a terminal, JSON, and the mismatch CSV. The Slack adapter
// renders the same Result as Block Kit with the helpers here.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/balancebot/balancebot/internal/rules"
)

// JSON writes the result as indented JSON: the public contract of
// docs/result.md.
func JSON(w io.Writer, res *rules.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Each warning carries its words too, for scripts that show them.
	type jsonWarning struct {
		rules.Warning
		Message string `json:"message"`
	}
	type plainResult rules.Result
	warnings := make([]jsonWarning, len(res.Warnings))
	for i, wn := range res.Warnings {
		warnings[i] = jsonWarning{wn, WarningText(wn, true)}
	}
	return enc.Encode(struct {
		*plainResult
		Warnings []jsonWarning `json:"warnings"`
	}{(*plainResult)(res), warnings})
}

// Patient is how a mismatch's patient is shown. With full set, the name as
// the export writes it, with its id; otherwise only initials and the last
// digits of an id, which is enough for billing staff to find the visit and
// too little to identify a patient in a channel.
func Patient(m rules.Mismatch, full bool) string {
	if m.Patient == "" && m.PatientID == "" && m.Account == "" {
		return "(not listed: billing gave day totals only)"
	}
	kind, id := "", ""
	switch {
	case m.Account != "":
		kind, id = "acct ", m.Account
	case m.PatientID != "":
		kind, id = "id ", m.PatientID
	}
	name := m.Patient
	if !full {
		name = Initials(m.Patient)
		if id != "" {
			id = lastDigits(id)
		}
	} else if name == "" {
		name = "(no name)"
	}
	if id != "" {
		return name + " (" + kind + id + ")"
	}
	return name
}

// Initials reduces a name to initials, first name first: "Smith, John M."
// gives "J.S.".
func Initials(name string) string {
	key := rules.NameKey(name)
	last, first, _ := strings.Cut(key, "|")
	var b strings.Builder
	for _, part := range []string{first, last} {
		if part != "" {
			r := []rune(part)[0]
			b.WriteString(strings.ToUpper(string(r)))
			b.WriteByte('.')
		}
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}

// lastDigits keeps the last three characters of an id: "10482" gives
// "…482".
func lastDigits(id string) string {
	r := []rune(id)
	if len(r) > 3 {
		r = r[len(r)-3:]
	}
	return "…" + string(r)
}

// SideLabel names the side a mismatch is on, for people.
func SideLabel(s rules.Side) string {
	if s == rules.SideEMR {
		return "EMR only"
	}
	return "billing only"
}

// DayLabel formats a date with its weekday: "Mon 11/16".
func DayLabel(d rules.Date) string { return d.Short() }

// Num formats a count or units without a needless ".0".
func Num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.2f", f)
}

// Signed formats a difference with its sign: "+4", "-1", "0".
func Signed(n int) string {
	if n > 0 {
		return fmt.Sprintf("+%d", n)
	}
	return fmt.Sprintf("%d", n)
}

// Plural picks the word for n.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ReasonGroup is the mismatches of one reason at one location.
type ReasonGroup struct {
	Reason     rules.Reason
	Mismatches []rules.Mismatch
}

// GroupByReason splits a location's mismatches by reason, in precedence
// order, expected reasons first.
func GroupByReason(l *rules.Location) []ReasonGroup {
	var out []ReasonGroup
	for _, action := range []bool{false, true} {
		for _, r := range rules.Reasons {
			if r.NeedsAction() != action {
				continue
			}
			var ms []rules.Mismatch
			for _, m := range l.Mismatches {
				if m.Reason == r {
					ms = append(ms, m)
				}
			}
			if len(ms) > 0 {
				out = append(out, ReasonGroup{r, ms})
			}
		}
	}
	return out
}

// MismatchLine is one mismatch on one line: "EMR only  Tue 11/17  Smith,
// John (id P1002)", with the paired date for a dos_mismatch.
func MismatchLine(m rules.Mismatch, full bool) string {
	s := fmt.Sprintf("%-12s  %s  %s", SideLabel(m.Side), DayLabel(m.DateOfService), Patient(m, full))
	if !m.OtherDate.IsZero() {
		other := "billing"
		if m.Side == rules.SideBilling {
			other = "the EMR"
		}
		s += fmt.Sprintf("  (%s has %s)", other, DayLabel(m.OtherDate))
	}
	if m.MatchedAccount != "" {
		s += "  (" + SameNameNote(m, full) + ")"
	}
	if m.OtherPatient != "" {
		s += "  (" + OtherSpelling(m, full) + ")"
	}
	if d := DetailText(m); d != "" {
		s += "  [" + d + "]"
	}
	return s
}

// DetailText is what helps to work a mismatch, where the exports give it:
// its therapist, and the exception type or the Claims Feed status as
// written (cut to 60 characters).
func DetailText(m rules.Mismatch) string {
	var parts []string
	if m.Provider != "" {
		parts = append(parts, "therapist "+m.Provider)
	}
	if m.Note != "" {
		note := []rune(m.Note)
		if len(note) > 60 {
			note = append(note[:59], '…')
		}
		parts = append(parts, string(note))
	}
	return strings.Join(parts, "; ")
}

// OtherSpelling says how the other side writes a name_mismatch's patient:
// in full with full set, else as initials.
func OtherSpelling(m rules.Mismatch, full bool) string {
	other := "billing"
	if m.Side == rules.SideBilling {
		other = "the EMR"
	}
	name := m.OtherPatient
	if !full {
		name = Initials(name)
	}
	return other + " writes " + name
}

// SameNameNote says that a billing visit is another patient's with the same
// name: the matched visit is under another account. Accounts are cut to
// their last digits unless full.
func SameNameNote(m rules.Mismatch, full bool) string {
	acct := m.MatchedAccount
	if !full {
		acct = lastDigits(acct)
	}
	return "another patient of the same name: the matched visit is under acct " + acct
}

// Headline is the one-line verdict of a result.
func Headline(res *rules.Result) string {
	action := 0
	for i := range res.Locations {
		action += res.Locations[i].ActionCount()
	}
	if res.Balanced {
		return "Balanced"
	}
	return fmt.Sprintf("Not balanced: %d %s action", action, Plural(action, "visit needs", "visits need"))
}

// LocationName is a location's name for people.
func LocationName(l *rules.Location) string {
	if l.Location == "" {
		return "All visits (no location named)"
	}
	return l.Location
}

// maxListed is the most locations an input's line names one by one.
const maxListed = 6

// InputLine describes a file that was read: "emr.csv: EMR Billing Report,
// Downtown, 11/16 to 11/20, 102 rows, 45 visits". More than maxListed
// locations are counted, with the first and last.
func InputLine(in rules.Input) string {
	parts := []string{in.Kind.Title()}
	switch n := len(in.Locations); {
	case n > maxListed:
		// A chain's export names hundreds of clinics; the table above
		// lists them one per line already.
		parts = append(parts, fmt.Sprintf("%d locations (%s … %s)", n, in.Locations[0], in.Locations[n-1]))
	case n > 0:
		parts = append(parts, strings.Join(in.Locations, ", "))
	}
	if p := (rules.Period{From: in.From, To: in.To}); !p.IsZero() {
		parts = append(parts, p.String())
	}
	parts = append(parts, fmt.Sprintf("%d %s", in.Rows, Plural(in.Rows, "row", "rows")))
	switch {
	case in.Kind == rules.KindInsuranceClassSummary:
		if in.NewPatients != nil {
			parts = append(parts, Num(*in.NewPatients)+" new patients")
		}
	case in.Kind.Role() == rules.RoleCheck:
		parts = append(parts, fmt.Sprintf("%d %s", in.Visits, Plural(in.Visits, "item", "items")))
	default:
		parts = append(parts, fmt.Sprintf("%d %s", in.Visits, Plural(in.Visits, "visit", "visits")))
	}
	return in.File + ": " + strings.Join(parts, ", ")
}

// Write renders res in format, "text", "json" or "csv", with patient names
// in full: the command line's renderings.
func Write(w io.Writer, format string, res *rules.Result) error {
	switch format {
	case "json":
		return JSON(w, res)
	case "csv":
		return CSV(w, res, true)
	case "text":
		return Text(w, res, true)
	}
	return fmt.Errorf("no format %q: text, json or csv", format)
}
