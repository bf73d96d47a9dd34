package rules

import (
	"cmp"
	"iter"
	"slices"
)

// Slot is one kind of export's claim on a location and a date of service.
// L is how the caller names locations (a key, an index).
type Slot[L comparable] struct {
	Kind Kind
	Loc  L
	DOS  Date
}

// maxStatedDays bounds the stated period an export claims day by day: a
// range of decades is a mistake in the export, not a claim on each day.
const maxStatedDays = 3700

// Covers lists the slots an export of kind k covers: every date of the
// period it states (when it states one) at each of its locations, then
// each of its visits' location and date.
func Covers[L comparable](k Kind, stated Period, locs []L, visits iter.Seq2[L, Date]) iter.Seq[Slot[L]] {
	return func(yield func(Slot[L]) bool) {
		if !stated.From.IsZero() && !stated.To.IsZero() && stated.Days() <= maxStatedDays {
			for _, l := range locs {
				for d := stated.From; d <= stated.To; d++ {
					if !yield(Slot[L]{k, l, d}) {
						return
					}
				}
			}
		}
		for l, d := range visits {
			if !yield(Slot[L]{k, l, d}) {
				return
			}
		}
	}
}

// Replacement says that export New replaced export Old (indexes into the
// exports given) on Dates.
type Replacement struct {
	Old, New int
	Dates    Period
}

// Latest applies "a newer export replaces an older one": for each kind,
// location and date, only the last export given that covers it counts, so
// an export shared again, or corrected, is not counted twice. covers holds
// each export's slots, in the order given. It returns the export that
// owns each slot, and the replacements ordered by the export replaced,
// then the one that replaced it.
func Latest[L comparable](covers []iter.Seq[Slot[L]]) (map[Slot[L]]int, []Replacement) {
	owner := map[Slot[L]]int{}
	for i, c := range covers {
		for s := range c {
			owner[s] = i
		}
	}
	type pair struct{ old, new int }
	at := map[pair]int{}
	var out []Replacement
	for i, c := range covers {
		for s := range c {
			o := owner[s]
			if o == i {
				continue
			}
			k, ok := at[pair{i, o}]
			if !ok {
				k = len(out)
				at[pair{i, o}] = k
				out = append(out, Replacement{Old: i, New: o})
			}
			out[k].Dates = out[k].Dates.Union(Period{From: s.DOS, To: s.DOS})
		}
	}
	slices.SortFunc(out, func(a, b Replacement) int { return cmp.Or(cmp.Compare(a.Old, b.Old), cmp.Compare(a.New, b.New)) })
	return owner, out
}
