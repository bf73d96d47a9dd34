package rules

import (
	"cmp"
	"slices"
)

// DOSPairWindow is how far apart, in days, an EMR-only and a billing-only
// visit of one patient at one location may be and still be read as one
// visit whose date of service was changed on one side.
const DOSPairWindow = 7

// EMRFacts is what the reports say about an EMR visit that billing lacks,
// for the reasons before dos_mismatch.
type EMRFacts struct {
	// Flags are the visit's own (NORCM, NC001) and the Documented Units
	// report's for it (Do Not Bill, units billed).
	Flags Flag
	// InDocumentedUnits is set when the Documented Units report lists the
	// visit, so that no billed units there means 0 units.
	InDocumentedUnits bool
	// Billed is billing's visit count for the key.
	Billed int
	// Exception is set when the Billing Exceptions Report lists the
	// patient on that date; Claims holds the Claims Feed's flags for it.
	Exception bool
	Claims    Flag
}

// EMRReason is the first reason before dos_mismatch that explains an EMR
// visit billing lacks, in result.md's order, or "" when none does.
func EMRReason(f EMRFacts) Reason {
	switch {
	case f.Flags&FlagNORCM != 0:
		return ReasonNORCM
	case f.Flags&FlagNoCharge != 0:
		return ReasonNoCharge
	case f.Flags&FlagDoNotBill != 0:
		return ReasonDoNotBill
	case f.InDocumentedUnits && f.Flags&FlagBilledUnits == 0:
		return ReasonZeroUnits
	case f.Billed > 0:
		return ReasonSameDay
	case f.Exception:
		return ReasonBillingException
	case f.Claims&FlagNotRebilled != 0:
		return ReasonNotRebilled
	case f.Claims&FlagNotSent != 0:
		return ReasonNotSent
	}
	return ""
}

// Pending is a mismatch whose reason may still be dos_mismatch, duplicate
// or unexplained. W is how the balance tells patients apart: a name key,
// an id, or a hash of one; its zero value is "no patient".
type Pending[W comparable] struct {
	Mismatch Mismatch
	Who      W
	// EMRCount is the EMR's visit count for the key (for duplicate).
	EMRCount int
	// Pairable is set for a visit no reason before dos_mismatch explains.
	Pairable bool
	// Other is the date of the visit it pairs with, once paired.
	Other Date
	// AnotherPatient is set for a billing visit under another account
	// than the key's matched visit: a same-name patient, never a duplicate.
	AnotherPatient bool
	// NameOf is, once paired for name_mismatch, the other side's spelling.
	NameOf string
}

// PairDOS pairs each patient's EMR-only and billing-only visits that are
// DOSPairWindow days or fewer apart, nearest dates first, for dos_mismatch.
// Pairs are found within each patient only, so the order of ms matters only
// between visits that are alike.
func PairDOS[W comparable](ms []Pending[W]) {
	var zero W
	type cand struct{ e, b, dist int }
	byWho := map[W][2][]int{}
	var order []W
	for i, p := range ms {
		if !p.Pairable || p.Who == zero {
			continue
		}
		s, seen := byWho[p.Who]
		if !seen {
			order = append(order, p.Who)
		}
		if p.Mismatch.Side == SideEMR {
			s[0] = append(s[0], i)
		} else {
			s[1] = append(s[1], i)
		}
		byWho[p.Who] = s
	}
	for _, who := range order {
		s := byWho[who]
		if len(s[0]) == 0 || len(s[1]) == 0 {
			continue
		}
		var cands []cand
		for _, e := range s[0] {
			for _, b := range s[1] {
				dist := int(ms[e].Mismatch.DateOfService - ms[b].Mismatch.DateOfService)
				if dist < 0 {
					dist = -dist
				}
				if dist <= DOSPairWindow {
					cands = append(cands, cand{e, b, dist})
				}
			}
		}
		slices.SortFunc(cands, func(x, y cand) int {
			return cmp.Or(cmp.Compare(x.dist, y.dist),
				cmp.Compare(ms[x.e].Mismatch.DateOfService, ms[y.e].Mismatch.DateOfService),
				cmp.Compare(ms[x.b].Mismatch.DateOfService, ms[y.b].Mismatch.DateOfService),
				cmp.Compare(x.e, y.e), cmp.Compare(x.b, y.b))
		})
		for _, c := range cands {
			if ms[c.e].Other != 0 || ms[c.b].Other != 0 {
				continue
			}
			ms[c.e].Other = ms[c.b].Mismatch.DateOfService
			ms[c.b].Other = ms[c.e].Mismatch.DateOfService
		}
	}
}

// Settle gives a pending mismatch its reason: the one found before
// dos_mismatch, else dos_mismatch when it was paired, duplicate for a
// billing visit beyond the EMR's count for a key the EMR has under the
// same account (or none known), else unexplained.
func Settle[W comparable](p Pending[W]) Mismatch {
	m := p.Mismatch
	if m.Reason == "" {
		switch {
		case p.Other != 0:
			m.Reason = ReasonDOSMismatch
			m.OtherDate = p.Other
		case m.Side == SideBilling && p.EMRCount > 0 && !p.AnotherPatient:
			m.Reason = ReasonDuplicate
		case p.NameOf != "":
			m.Reason = ReasonNameMismatch
			m.OtherPatient = p.NameOf
		default:
			m.Reason = ReasonUnexplained
		}
	}
	m.NeedsAction = m.Reason.NeedsAction()
	return m
}

// SortMismatches puts a location's mismatches in the order people read
// them: by reason in precedence order, then date, side and patient. The
// order is total, so it never depends on how the balance found them.
func SortMismatches(ms []Mismatch) {
	slices.SortFunc(ms, func(a, b Mismatch) int {
		return cmp.Or(cmp.Compare(a.Reason.rank(), b.Reason.rank()), cmp.Compare(a.DateOfService, b.DateOfService),
			cmp.Compare(a.Side, b.Side), cmp.Compare(a.Patient, b.Patient), cmp.Compare(a.PatientID, b.PatientID),
			cmp.Compare(a.Account, b.Account), cmp.Compare(a.OtherDate, b.OtherDate))
	})
}

// rank is the reason's place in precedence order.
func (r Reason) rank() int { return slices.Index(Reasons, r) }

// AccountVisits is how many of a billing key's visits are under one
// account ("" when the export gives none).
type AccountVisits struct {
	Account string
	Visits  int
}

// MixedAccounts reports whether a billing key's visits are under two
// different accounts: two patients who share a name and a day.
func MixedAccounts(accts []AccountVisits) bool {
	first := ""
	for _, a := range accts {
		switch {
		case a.Account == "" || a.Visits == 0:
		case first == "":
			first = a.Account
		case NormID(a.Account) != NormID(first):
			return true
		}
	}
	return false
}

// Extra is a billing visit beyond the EMR's count for its key.
type Extra struct {
	// Account is the account it is under; Matched, when it differs from
	// every account of the key's matched visits, is theirs: then it is
	// another patient with the same name, never a duplicate charge.
	Account, Matched string
}

// ExtraVisits lists the billing visits of a key beyond the matched ones:
// its visits per account in the order the exports give them, of which the
// first matched are matched. Each extra visit under an account no matched
// visit has (both known) is another patient's (Extra.Matched set).
func ExtraVisits(accts []AccountVisits, matched int) []Extra {
	var matchedAccts []string
	var out []Extra
	left := matched
	for _, a := range accts {
		for range a.Visits {
			if left > 0 {
				left--
				if a.Account != "" {
					matchedAccts = append(matchedAccts, NormID(a.Account))
				}
				continue
			}
			out = append(out, Extra{Account: a.Account})
		}
	}
	if len(matchedAccts) == 0 {
		return out // no matched account known: a duplicate, as far as anyone can tell
	}
	for i, e := range out {
		if e.Account != "" && !slices.Contains(matchedAccts, NormID(e.Account)) {
			out[i].Matched = matchedAccts[0]
		}
	}
	return out
}

// ExtraBilling lists a billing key's bl-m visits beyond the m matched:
// nil entries when the key's visits are under one account (or none known)
// or none matched, else which account each is under and whether it is
// another patient's (ExtraVisits).
func ExtraBilling(accts []AccountVisits, bl, m int) []*Extra {
	if bl <= m {
		return nil
	}
	out := make([]*Extra, bl-m)
	if m == 0 || !MixedAccounts(accts) {
		return out
	}
	for i, x := range ExtraVisits(accts, m) {
		if i < len(out) {
			out[i] = &x
		}
	}
	return out
}

// NoteFrom is the check report whose note explains a visit with reason r
// (the exception type, the Claims Feed status as written), or "" for none.
func NoteFrom(r Reason) Kind {
	switch r {
	case ReasonBillingException:
		return KindBillingExceptions
	case ReasonNotRebilled, ReasonNotSent:
		return KindClaimsFeed
	}
	return ""
}
