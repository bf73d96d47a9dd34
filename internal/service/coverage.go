package service

import (
	"iter"
	"sort"

	"github.com/balancebot/balancebot/internal/rules"
)

// Coverage is what a channel holds for one location over a period: which
// dates each side's exports cover, with which kinds, and which check
// reports there are. It is what "still needed" is worked out from.
type Coverage struct {
	// Location is as first written; "" for exports naming none.
	Location string
	// Dates holds, per side, the dates within the period its exports
	// cover; Kinds how many exports of each kind give it.
	Dates  rules.Sides[map[rules.Date]bool]
	Kinds  rules.Sides[map[rules.Kind]int]
	Checks map[rules.Kind]int
}

// Covering sorts uploads by location and records what each covers within
// p, as the balance would take them: an upload without a location counts
// for every location the others name, a check report only adds to the
// locations the visit reports name, and an upload that newer exports
// replace on every date it covers (rules.Latest) counts no more.
func Covering(ups []*Upload, p rules.Period) []*Coverage {
	byLoc := map[string]*Coverage{}
	var order []string
	get := func(loc string) *Coverage {
		k := rules.LocationKey(loc)
		c := byLoc[k]
		if c == nil {
			c = &Coverage{Location: loc, Checks: map[rules.Kind]int{}}
			for s := range c.Dates {
				c.Dates[s], c.Kinds[s] = map[rules.Date]bool{}, map[rules.Kind]int{}
			}
			byLoc[k] = c
			order = append(order, k)
		}
		return c
	}
	var unnamed, checks []*Upload
	for _, u := range current(ups) {
		locs := u.Report.Locations()
		switch {
		case u.Report.Kind.Role() == rules.RoleCheck:
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
		for _, l := range u.Report.Locations() {
			if c := byLoc[rules.LocationKey(l)]; c != nil {
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
	out := make([]*Coverage, 0, len(order))
	for _, k := range order {
		out = append(out, byLoc[k])
	}
	sort.Slice(out, func(i, j int) bool {
		return rules.LocationKey(out[i].Location) < rules.LocationKey(out[j].Location)
	})
	return out
}

// current leaves out the uploads that newer exports of the same kind
// replace on every location and date they cover.
func current(ups []*Upload) []*Upload {
	covers := make([]iter.Seq[rules.Slot[string]], len(ups))
	for i, u := range ups {
		var locs []string
		for _, l := range u.Report.Locations() {
			locs = append(locs, rules.LocationKey(l))
		}
		if len(locs) == 0 {
			locs = []string{""}
		}
		covers[i] = rules.Covers(u.Report.Kind, u.Period(), locs, func(func(string, rules.Date) bool) {})
	}
	owner, _ := rules.Latest(covers)
	var out []*Upload
	for i := range ups {
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
			out = append(out, ups[i])
		}
	}
	return out
}

func (c *Coverage) add(u *Upload, p rules.Period) {
	k := u.Report.Kind
	if k.Role() == rules.RoleCheck {
		c.Checks[k]++
		return
	}
	s := k.Side().Index()
	c.Kinds[s][k]++
	up := u.Period()
	for d := max(up.From, p.From); d <= min(up.To, p.To); d++ {
		c.Dates[s][d] = true
	}
}

// Missing lists the weekdays of p that side s does not cover: what is
// still needed.
func (c *Coverage) Missing(s rules.Side, p rules.Period) []rules.Date {
	var out []rules.Date
	for _, d := range rules.Weekdays(p) {
		if !c.Dates[s.Index()][d] {
			out = append(out, d)
		}
	}
	return out
}

// Covered lists the dates of p that side s covers.
func (c *Coverage) Covered(s rules.Side, p rules.Period) []rules.Date {
	var out []rules.Date
	for d := p.From; d <= p.To; d++ {
		if c.Dates[s.Index()][d] {
			out = append(out, d)
		}
	}
	return out
}

// Span is the first and last date side s covers.
func (c *Coverage) Span(s rules.Side) rules.Period {
	var p rules.Period
	for d := range c.Dates[s.Index()] {
		p = p.Union(rules.Period{From: d, To: d})
	}
	return p
}

// Both is the period within p that both sides cover at some location: the
// dates a balance can honestly be made for.
func Both(covs []*Coverage, p rules.Period) rules.Period {
	var out rules.Period
	for _, c := range covs {
		e, b := c.Span(rules.SideEMR), c.Span(rules.SideBilling)
		if e.IsZero() || b.IsZero() {
			continue
		}
		q := rules.Period{From: max(e.From, b.From, p.From), To: min(e.To, b.To, p.To)}
		if q.From > q.To {
			continue
		}
		out = out.Union(q)
	}
	return out
}
