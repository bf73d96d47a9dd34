package rules

import (
	"iter"
	"slices"
	"sort"
)

// Held is an export a channel holds, as coverage sees it: its kind, the
// locations it names (none for an export naming none) and the dates it
// covers.
type Held struct {
	Kind      Kind
	Locations []string
	Period    Period
}

// Coverage is what a channel holds for one location over a period: which
// dates each side's exports cover, with which kinds, and which check
// reports there are. It is what "still needed" is worked out from.
type Coverage struct {
	// Location is as first written; "" for exports naming none.
	Location string
	// Dates holds, per side, the dates within the period its exports
	// cover; Kinds how many exports of each kind give it.
	Dates  Sides[map[Date]bool]
	Kinds  Sides[map[Kind]int]
	Checks map[Kind]int
}

// Covering sorts what a channel holds by location and records what each
// export covers within p, as the balance would take them: an export
// without a location counts for every location the others name, a check
// report only adds to the locations the visit reports name, and an export
// that newer ones replace on every date it covers (Latest) counts no more.
// held is in the order kept, oldest first. Locations are taken through the
// map m, and an EMR location and a billing location that each lack the
// other side are paired as the balance pairs them (PairLocations).
func Covering(held []Held, p Period, m LocationMap) []*Coverage {
	held = slices.Clone(held)
	for i := range held {
		locs := make([]string, len(held[i].Locations))
		for j, l := range held[i].Locations {
			locs[j] = m.Resolve(l)
		}
		held[i].Locations = locs
	}
	byLoc := map[string]*Coverage{}
	var order []string
	get := func(loc string) *Coverage {
		k := LocationKey(loc)
		c := byLoc[k]
		if c == nil {
			c = &Coverage{Location: loc, Checks: map[Kind]int{}}
			for s := range c.Dates {
				c.Dates[s], c.Kinds[s] = map[Date]bool{}, map[Kind]int{}
			}
			byLoc[k] = c
			order = append(order, k)
		}
		return c
	}
	var unnamed, checks []Held
	for _, u := range current(held) {
		locs := u.Locations
		switch {
		case u.Kind.Role() == RoleCheck:
			checks = append(checks, u)
		case len(locs) == 0:
			unnamed = append(unnamed, u)
		default:
			for _, l := range locs {
				get(l).add(u, p)
			}
		}
	}
	for _, u := range checks {
		added := false
		for _, l := range u.Locations {
			if c := byLoc[LocationKey(l)]; c != nil {
				c.add(u, p)
				added = true
			}
		}
		if !added {
			unnamed = append(unnamed, u)
		}
	}
	for _, u := range unnamed {
		if len(order) == 0 {
			get("").add(u, p)
			continue
		}
		for _, k := range order {
			byLoc[k].add(u, p)
		}
	}
	pairCoverage(byLoc, order, m)
	out := make([]*Coverage, 0, len(order))
	for _, k := range order {
		if c := byLoc[k]; c != nil {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return LocationKey(out[i].Location) < LocationKey(out[j].Location)
	})
	return out
}

// current leaves out the exports that newer ones of the same kind replace
// on every location and date they cover.
func current(held []Held) []Held {
	covers := make([]iter.Seq[Slot[string]], len(held))
	for i, u := range held {
		var locs []string
		for _, l := range u.Locations {
			locs = append(locs, LocationKey(l))
		}
		if len(locs) == 0 {
			locs = []string{""}
		}
		covers[i] = Covers(u.Kind, u.Period, locs, func(func(string, Date) bool) {})
	}
	owner, _ := Latest(covers)
	var out []Held
	for i := range held {
		// An upload with no dates at all claims nothing, and is kept.
		claims, owns := false, false
		for s := range covers[i] {
			claims = true
			if owner[s] == i {
				owns = true
				break
			}
		}
		if owns || !claims {
			out = append(out, held[i])
		}
	}
	return out
}

func (c *Coverage) add(u Held, p Period) {
	k := u.Kind
	if k.Role() == RoleCheck {
		c.Checks[k]++
		return
	}
	s := k.Side().Index()
	c.Kinds[s][k]++
	for d := max(u.Period.From, p.From); d <= min(u.Period.To, p.To); d++ {
		c.Dates[s][d] = true
	}
}

// Missing lists the weekdays of p that side s does not cover: what is
// still needed.
func (c *Coverage) Missing(s Side, p Period) []Date {
	var out []Date
	for _, d := range Weekdays(p) {
		if !c.Dates[s.Index()][d] {
			out = append(out, d)
		}
	}
	return out
}

// Covered lists the dates of p that side s covers.
func (c *Coverage) Covered(s Side, p Period) []Date {
	var out []Date
	for d := p.From; d <= p.To; d++ {
		if c.Dates[s.Index()][d] {
			out = append(out, d)
		}
	}
	return out
}

// Span is the first and last date side s covers.
func (c *Coverage) Span(s Side) Period {
	var p Period
	for d := range c.Dates[s.Index()] {
		p = p.Union(Period{From: d, To: d})
	}
	return p
}

// Both is the period within p that both sides cover at some location: the
// dates a balance can honestly be made for.
func Both(covs []*Coverage, p Period) Period {
	var out Period
	for _, c := range covs {
		e, b := c.Span(SideEMR), c.Span(SideBilling)
		if e.IsZero() || b.IsZero() {
			continue
		}
		q := Period{From: max(e.From, b.From, p.From), To: min(e.To, b.To, p.To)}
		if q.From > q.To {
			continue
		}
		out = out.Union(q)
	}
	return out
}

// pairCoverage merges into an EMR location's coverage the billing
// location's that PairLocations pairs with it, as the balance will.
func pairCoverage(byLoc map[string]*Coverage, order []string, m LocationMap) {
	var emrOnly, billingOnly []string
	key := map[string]string{}
	for _, k := range order {
		c := byLoc[k]
		if c.Location == "" || m.Has(c.Location) {
			continue
		}
		key[c.Location] = k
		e, b := len(c.Kinds[SideEMR.Index()]) > 0, len(c.Kinds[SideBilling.Index()]) > 0
		switch {
		case e && !b:
			emrOnly = append(emrOnly, c.Location)
		case b && !e:
			billingOnly = append(billingOnly, c.Location)
		}
	}
	pairs, _, _ := PairLocations(emrOnly, billingOnly)
	for _, pr := range pairs {
		to, from := byLoc[key[pr.EMR]], byLoc[key[pr.Billing]]
		for s := range to.Dates {
			for d := range from.Dates[s] {
				to.Dates[s][d] = true
			}
			for k, n := range from.Kinds[s] {
				to.Kinds[s][k] += n
			}
		}
		for k, n := range from.Checks {
			to.Checks[k] = max(to.Checks[k], n)
		}
		delete(byLoc, key[pr.Billing])
	}
}
