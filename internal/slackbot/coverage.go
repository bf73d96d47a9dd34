package slackbot

import (
	"fmt"
	"sort"
	"strings"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/render"
	"github.com/balancebot/balancebot/internal/rules"
)

// coverage is what a channel holds for one location over a period: which
// dates each side's exports cover, and which check reports there are.
type coverage struct {
	location string // as written; "" for exports naming none
	side     map[rules.Side]map[rules.Date]bool
	kinds    map[rules.Side]map[rules.Kind]int
	checks   map[rules.Kind]int
}

// analyze sorts uploads by location and records what each covers within p.
// An upload without a location counts for every location the others name,
// as the balance itself would take it.
func analyze(ups []*engine.Upload, p rules.Period) []*coverage {
	byLoc := map[string]*coverage{}
	var order []string
	get := func(loc string) *coverage {
		k := rules.LocationKey(loc)
		c := byLoc[k]
		if c == nil {
			c = &coverage{location: loc, side: map[rules.Side]map[rules.Date]bool{
				rules.SideEMR: {}, rules.SideBilling: {}},
				kinds:  map[rules.Side]map[rules.Kind]int{rules.SideEMR: {}, rules.SideBilling: {}},
				checks: map[rules.Kind]int{}}
			byLoc[k] = c
			order = append(order, k)
		}
		return c
	}
	// Visit reports decide the locations; check reports (a Billing
	// Exceptions Report for all locations, say) only add to them.
	var unnamed, checks []*engine.Upload
	for _, u := range ups {
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
	out := make([]*coverage, 0, len(order))
	for _, k := range order {
		out = append(out, byLoc[k])
	}
	sort.Slice(out, func(i, j int) bool {
		return rules.LocationKey(out[i].location) < rules.LocationKey(out[j].location)
	})
	return out
}

func (c *coverage) add(u *engine.Upload, p rules.Period) {
	k := u.Report.Kind
	if k.Role() == rules.RoleCheck {
		c.checks[k]++
		return
	}
	s := k.Side()
	c.kinds[s][k]++
	up := u.Period()
	for d := max(up.From, p.From); d <= min(up.To, p.To); d++ {
		c.side[s][d] = true
	}
}

// missing lists the weekdays of p (up to today) side s does not cover.
func (c *coverage) missing(s rules.Side, p rules.Period) []rules.Date {
	var out []rules.Date
	for _, d := range weekdays(p) {
		if !c.side[s][d] {
			out = append(out, d)
		}
	}
	return out
}

func (c *coverage) name() string {
	if c.location == "" {
		return "exports naming no location"
	}
	return "*" + esc(c.location) + "*"
}

// span is the first and last date side s covers.
func (c *coverage) span(s rules.Side) rules.Period {
	var p rules.Period
	for d := range c.side[s] {
		if p.From == 0 || d < p.From {
			p.From = d
		}
		if d > p.To {
			p.To = d
		}
	}
	return p
}

// both is the period within p that both sides cover at some location: the
// dates a balance can honestly be made for.
func both(covs []*coverage, p rules.Period) rules.Period {
	var out rules.Period
	for _, c := range covs {
		e, b := c.span(rules.SideEMR), c.span(rules.SideBilling)
		if e.IsZero() || b.IsZero() {
			continue
		}
		q := rules.Period{From: max(e.From, b.From, p.From), To: min(e.To, b.To, p.To)}
		if q.From > q.To {
			continue
		}
		if out.IsZero() {
			out = q
		} else {
			out = rules.Period{From: min(out.From, q.From), To: max(out.To, q.To)}
		}
	}
	return out
}

// gaps says, location by location, which exports are missing for which
// dates of p, and how to pull them.
func gaps(covs []*coverage, p rules.Period, soap string) []string {
	var lines []string
	for _, c := range covs {
		for _, s := range []rules.Side{rules.SideEMR, rules.SideBilling} {
			miss := c.missing(s, p)
			if len(miss) == 0 {
				continue
			}
			lines = append(lines, fmt.Sprintf("• %s, %s: %s", c.name(), ranges(miss), pullFor(s, soap)))
		}
	}
	return lines
}

// pullFor says which export gives side s, for the practice's SOAP version
// ("1.0", "2.0" or "" for either).
func pullFor(s rules.Side, soap string) string {
	if s == rules.SideBilling {
		return "the *Charge Audit Summary* (" + esc(rules.KindChargeAuditSummary.HowToPull()) + ")"
	}
	switch soap {
	case "1.0":
		return "the *EMR Billing Report* (" + esc(rules.KindEMRBillingReport.HowToPull()) + ")"
	case "2.0":
		return "the *Documented Visits* report (" + esc(rules.KindDocumentedVisits.HowToPull()) + ")"
	}
	return "the *EMR Billing Report* (SOAP 1.0) or *Documented Visits* (SOAP 2.0)"
}

// statusLines describe what is stored for p, location by location.
func statusLines(covs []*coverage, p rules.Period) []string {
	var lines []string
	for _, c := range covs {
		var parts []string
		for _, s := range []rules.Side{rules.SideEMR, rules.SideBilling} {
			label := "EMR"
			if s == rules.SideBilling {
				label = "billing"
			}
			var kinds []string
			for k, n := range c.kinds[s] {
				kinds = append(kinds, fmt.Sprintf("%s ×%d", k.Title(), n))
			}
			sort.Strings(kinds)
			var dates []rules.Date
			for d := p.From; d <= p.To; d++ {
				if c.side[s][d] {
					dates = append(dates, d)
				}
			}
			if len(dates) == 0 {
				parts = append(parts, label+": nothing yet")
				continue
			}
			parts = append(parts, fmt.Sprintf("%s: %s (%s)", label, ranges(dates), strings.Join(kinds, ", ")))
		}
		var checks []string
		for k, n := range c.checks {
			checks = append(checks, fmt.Sprintf("%s ×%d", k.Title(), n))
		}
		sort.Strings(checks)
		if len(checks) > 0 {
			parts = append(parts, "checks: "+strings.Join(checks, ", "))
		}
		lines = append(lines, fmt.Sprintf("• %s — %s", c.name(), strings.Join(parts, "; ")))
	}
	return lines
}

// verdictLine describes a posted balance with a link to it.
func verdictLine(r *engine.Posted) string {
	if r == nil {
		return ""
	}
	if r.Balanced {
		return fmt.Sprintf(":white_check_mark: Balanced for %s: <%s|the summary>.", dayRange(r.Period), r.Link)
	}
	return fmt.Sprintf(":warning: Not balanced for %s, %d %s: <%s|the summary>.", dayRange(r.Period), r.NeedsAction,
		render.Plural(r.NeedsAction, "visit needs action", "visits need action"), r.Link)
}
