package rules

import (
	"cmp"
	"slices"
	"strings"
)

// nicknames pairs given names that are one person's ("Bob" and "Robert").
// Each group is one name and its common short forms.
var nicknames = func() map[string]int {
	groups := [][]string{
		{"robert", "bob", "rob", "bobby", "robbie"}, {"william", "bill", "will", "billy", "willie", "liam"},
		{"elizabeth", "liz", "beth", "betty", "eliza", "lisa", "libby"}, {"james", "jim", "jimmy", "jamie"},
		{"katherine", "catherine", "kathryn", "kate", "kathy", "cathy", "katie", "kat"},
		{"richard", "rick", "dick", "rich", "ricky"}, {"margaret", "maggie", "peggy", "meg", "marge"},
		{"michael", "mike", "mikey", "mick"}, {"jennifer", "jen", "jenny"}, {"thomas", "tom", "tommy"},
		{"joseph", "joe", "joey"}, {"charles", "charlie", "chuck"}, {"christopher", "chris"},
		{"daniel", "dan", "danny"}, {"matthew", "matt"}, {"anthony", "tony"}, {"edward", "ed", "eddie", "ted"},
		{"patricia", "pat", "patty", "trish"}, {"patrick", "pat"}, {"susan", "sue", "susie"},
		{"deborah", "debbie", "deb"}, {"rebecca", "becky"}, {"jonathan", "jon"}, {"john", "jack", "johnny"},
		{"benjamin", "ben"}, {"samuel", "sam"}, {"samantha", "sam"}, {"alexander", "alex"},
		{"alexandra", "alex", "sandra"}, {"nicholas", "nick"}, {"andrew", "andy", "drew"},
		{"steven", "stephen", "steve"}, {"gregory", "greg"}, {"timothy", "tim"}, {"kenneth", "ken"},
		{"ronald", "ron"}, {"donald", "don"}, {"douglas", "doug"}, {"gerald", "jerry"}, {"lawrence", "larry"},
		{"victoria", "vicky", "tori"}, {"jacqueline", "jackie"}, {"abigail", "abby"}, {"dorothy", "dot", "dottie"},
	}
	m := map[string]int{}
	for i, g := range groups {
		for _, n := range g {
			if _, ok := m[n]; !ok { // a name in two groups (pat, sam, alex) keeps the first
				m[n] = i + 1
			}
		}
	}
	return m
}()

// sameGiven reports whether two first given names may be one person's:
// the same initial (a name written as an initial, or a nickname that keeps
// it: Bill and William do not, so they are looked up), or a nickname pair.
func sameGiven(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if a[0] == b[0] {
		return true
	}
	ga, gb := nicknames[a], nicknames[b]
	return ga != 0 && ga == gb
}

// nameWords are a name's words, normalised as NameKey does (lower case,
// accents folded, punctuation dropped), split at spaces and commas.
func nameWords(name string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == ',' || r == '.' || r == '\t' }) {
		if k := strings.Trim(NameKey(w), "|"); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// NameDistance says how close two patient names are, for name_mismatch:
// ok when they may be one patient written two ways, and then a distance
// (smaller is closer). Close names are the same surname with first names
// that share their initial or are a nickname pair (Bob and Robert); one
// name's words all among the other's ("Lopez, Juan" and "Lopez Garcia,
// Juan Carlos"); or normalised names of 8 letters or more that differ by
// at most 2 letter edits ("Kowalsky" and "Kowalski").
func NameDistance(a, b string) (dist int, ok bool) {
	ka, kb := NameKey(a), NameKey(b)
	if ka == "" || kb == "" || ka == kb {
		return 0, false
	}
	la, fa, _ := strings.Cut(ka, "|")
	lb, fb, _ := strings.Cut(kb, "|")
	letters := func(k string) string { return strings.ReplaceAll(k, "|", "") }
	d := editDistance(letters(ka), letters(kb))
	switch {
	case la == lb && sameGiven(fa, fb):
		return d, true
	case within(nameWords(a), nameWords(b)) || within(nameWords(b), nameWords(a)):
		return d, true
	case len(letters(ka)) >= 8 && len(letters(kb)) >= 8 && d <= 2:
		return d, true
	}
	return 0, false
}

// within reports whether every word of a is among b's, a having two or
// more words.
func within(a, b []string) bool {
	if len(a) < 2 {
		return false
	}
	for _, w := range a {
		if !slices.Contains(b, w) {
			return false
		}
	}
	return true
}

// editDistance is the Levenshtein distance between two strings' bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sameIDs reports whether two visits' ids do not differ where both carry
// the same kind of id.
func sameIDs(a, b Mismatch) bool {
	if a.PatientID != "" && b.PatientID != "" && NormID(a.PatientID) != NormID(b.PatientID) {
		return false
	}
	if a.Account != "" && b.Account != "" && NormID(a.Account) != NormID(b.Account) {
		return false
	}
	return true
}

// PairNames gives name_mismatch to EMR-only and billing-only visits at a
// location on the same date of service whose names are close
// (NameDistance) and whose ids of one kind do not differ, one to one,
// closest first. It looks only at visits no earlier reason explains: not
// paired for dos_mismatch, and not a duplicate.
func PairNames[W comparable](ms []Pending[W]) {
	free := func(p *Pending[W]) bool {
		if p.Mismatch.Reason != "" || p.Other != 0 || p.NameOf != "" || p.Mismatch.Patient == "" {
			return false
		}
		return p.Mismatch.Side == SideEMR || p.EMRCount == 0 || p.AnotherPatient
	}
	type cand struct{ e, b, dist int }
	var cands []cand
	for e := range ms {
		if ms[e].Mismatch.Side != SideEMR || !free(&ms[e]) {
			continue
		}
		for b := range ms {
			if ms[b].Mismatch.Side != SideBilling || !free(&ms[b]) || ms[b].Mismatch.DateOfService != ms[e].Mismatch.DateOfService {
				continue
			}
			if d, ok := NameDistance(ms[e].Mismatch.Patient, ms[b].Mismatch.Patient); ok && sameIDs(ms[e].Mismatch, ms[b].Mismatch) {
				cands = append(cands, cand{e, b, d})
			}
		}
	}
	slices.SortFunc(cands, func(x, y cand) int {
		return cmp.Or(cmp.Compare(x.dist, y.dist), cmp.Compare(ms[x.e].Mismatch.Patient, ms[y.e].Mismatch.Patient),
			cmp.Compare(ms[x.b].Mismatch.Patient, ms[y.b].Mismatch.Patient), cmp.Compare(ms[x.e].Mismatch.DateOfService, ms[y.e].Mismatch.DateOfService),
			cmp.Compare(ms[x.e].Mismatch.PatientID, ms[y.e].Mismatch.PatientID), cmp.Compare(ms[x.e].Mismatch.Account, ms[y.e].Mismatch.Account),
			cmp.Compare(ms[x.b].Mismatch.PatientID, ms[y.b].Mismatch.PatientID), cmp.Compare(ms[x.b].Mismatch.Account, ms[y.b].Mismatch.Account),
			cmp.Compare(x.e, y.e), cmp.Compare(x.b, y.b))
	})
	for _, c := range cands {
		if ms[c.e].NameOf != "" || ms[c.b].NameOf != "" {
			continue
		}
		ms[c.e].NameOf = ms[c.b].Mismatch.Patient
		ms[c.b].NameOf = ms[c.e].Mismatch.Patient
	}
}
