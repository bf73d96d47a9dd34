package rules

import "strings"

// Identity is how patients are told apart at a location.
type Identity int

// The identities, per result.md: an id decides only when both sides carry
// the same kind; else the normalised name; and a billing export with no
// patient column at all can only be balanced per day.
const (
	ByName Identity = iota
	ByAccount
	ByPatientID
	ByDay
)

// VisitReport is what ChooseIdentity needs to know of a visit report.
type VisitReport struct {
	Name    string
	Columns Columns
}

// ChooseIdentity decides how patients are matched at a location from the
// columns of the visit reports that cover it on each side: per day when
// billing names no patient, by account or by EMR patient id when every
// report on both sides carries that id, else by name. where names the
// location for the error given when the reports can be matched by none.
func ChooseIdentity(where string, emr, billing []VisitReport) (Identity, error) {
	all := func(rs []VisitReport, f func(Columns) bool) bool {
		for _, r := range rs {
			if !f(r.Columns) {
				return false
			}
		}
		return len(rs) > 0
	}
	name := func(c Columns) bool { return c.Name }
	acct := func(c Columns) bool { return c.Account }
	pid := func(c Columns) bool { return c.PatientID }
	anyPatient := func(c Columns) bool { return c.Name || c.Account || c.PatientID }
	switch {
	case len(billing) > 0 && !all(billing, anyPatient):
		return ByDay, nil
	case all(emr, acct) && all(billing, acct):
		return ByAccount, nil
	case all(emr, pid) && all(billing, pid):
		return ByPatientID, nil
	case (len(emr) == 0 || all(emr, name)) && (len(billing) == 0 || all(billing, name)):
		return ByName, nil
	}
	var noName []string
	for _, r := range append(append([]VisitReport(nil), emr...), billing...) {
		if !r.Columns.Name {
			noName = append(noName, r.Name)
		}
	}
	return ByName, Errorf("Cannot tell patients apart at %s: %s carry no patient name, and the EMR patient id and the billing account number are different numbers for the same patient. Export the reports with the Patient Name column.",
		where, strings.Join(noName, " and "))
}

// Who is patient p as identity id sees it: the name key, or the
// normalised id prefixed with its kind; "" is no patient. Per day, billing
// has no patients, and the EMR keeps its own so its visits can still be
// explained.
func Who(id Identity, side Side, p Patient) string {
	switch id {
	case ByAccount:
		if n := NormID(p.Account); n != "" {
			return "acct:" + n
		}
		return ""
	case ByPatientID:
		if n := NormID(p.ID); n != "" {
			return "id:" + n
		}
		return ""
	case ByDay:
		if side == SideBilling {
			return ""
		}
	}
	return NameKey(p.Name)
}

// SamePatient decides whether two rows are the same patient: by an id when
// both carry the same kind, else by name. aKey and bKey are the names'
// NameKeys, which callers often have already.
func SamePatient(a Patient, aKey string, b Patient, bKey string) bool {
	switch {
	case a.Account != "" && b.Account != "":
		return NormID(a.Account) == NormID(b.Account)
	case a.ID != "" && b.ID != "":
		return NormID(a.ID) == NormID(b.ID)
	}
	return aKey != "" && aKey == bKey
}

// NormID compares ids without case, spaces or leading zeros ("00123" is
// "123"), as spreadsheets often drop them.
func NormID(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}

// Fill completes p with what q carries and p lacks: a key's later rows may
// carry an id its first did not.
func (p *Patient) Fill(q Patient) {
	if p.Name == "" {
		p.Name = q.Name
	}
	if p.ID == "" {
		p.ID = q.ID
	}
	if p.Account == "" {
		p.Account = q.Account
	}
}
