package slackbot

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

// covName names a location in Slack.
func covName(c *rules.Coverage) string {
	if c.Location == "" {
		return "exports naming no location"
	}
	return "*" + esc(c.Location) + "*"
}

// gaps says, location by location, which exports are missing for which
// dates of p, and how to pull them.
func gaps(covs []*rules.Coverage, p rules.Period, soap string) []string {
	var lines []string
	for _, c := range covs {
		for _, s := range []rules.Side{rules.SideEMR, rules.SideBilling} {
			miss := c.Missing(s, p)
			if len(miss) == 0 {
				continue
			}
			lines = append(lines, fmt.Sprintf("• %s, %s: %s", covName(c), ranges(miss), pullFor(s, soap)))
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

// statusCompact is how many locations status describes one by one; past
// it, the balanced ones share one line, so 100 locations fit.
const statusCompact = 12

// statusLines give each location's verdict for p, its open items and what
// is stored: balanced, open items, both sides in but not balanced yet, or
// waiting for a side. posted is the balance last posted for p (nil for
// none); open counts open items by location key.
func statusLines(covs []*rules.Coverage, p rules.Period, posted *service.Posted, open map[string]openTally) []string {
	inPosted := map[string]bool{}
	if posted != nil {
		for _, l := range posted.Locations {
			inPosted[rules.LocationKey(l)] = true
		}
	}
	var lines, balanced []string
	for _, c := range covs {
		k := rules.LocationKey(c.Location)
		emr, billing := len(c.Covered(rules.SideEMR, p)) > 0, len(c.Covered(rules.SideBilling, p)) > 0
		var verdict string
		switch {
		case open[k].N > 0:
			verdict = fmt.Sprintf(":warning: %d open %s, %s", open[k].N, plural(open[k].N, "item", "items"), ageText(open[k].Oldest))
		case emr && billing && inPosted[k]:
			verdict = ":white_check_mark: balanced"
			if len(covs) > statusCompact {
				balanced = append(balanced, covName(c))
				continue
			}
		case emr && billing:
			verdict = ":hourglass: both sides in, not balanced yet (`/balance week`)"
		case emr:
			verdict = ":hourglass_flowing_sand: waiting for the billing side"
		default:
			verdict = ":hourglass_flowing_sand: waiting for the EMR side"
		}
		line := fmt.Sprintf("• %s — %s", covName(c), verdict)
		if len(covs) <= statusCompact {
			line += " · " + storedText(c, p)
		}
		lines = append(lines, line)
	}
	if len(balanced) > 0 {
		lines = append([]string{fmt.Sprintf("• :white_check_mark: Balanced (%d): %s", len(balanced), strings.Join(balanced, ", "))}, lines...)
	}
	return lines
}

// ageText says how old the oldest open item is.
func ageText(days int) string {
	switch days {
	case 0:
		return "new today"
	case 1:
		return "oldest 1 day"
	}
	return fmt.Sprintf("oldest %d days", days)
}

// storedText says what is stored for one location over p: each side's
// dates and exports, and the check reports.
func storedText(c *rules.Coverage, p rules.Period) string {
	var parts []string
	for _, s := range []rules.Side{rules.SideEMR, rules.SideBilling} {
		label := "EMR"
		if s == rules.SideBilling {
			label = "billing"
		}
		var kinds []string
		for k, n := range c.Kinds[s.Index()] {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k.Title(), n))
		}
		sort.Strings(kinds)
		dates := c.Covered(s, p)
		if len(dates) == 0 {
			parts = append(parts, label+": nothing yet")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s (%s)", label, ranges(dates), strings.Join(kinds, ", ")))
	}
	var checks []string
	for k, n := range c.Checks {
		checks = append(checks, fmt.Sprintf("%s ×%d", k.Title(), n))
	}
	sort.Strings(checks)
	if len(checks) > 0 {
		parts = append(parts, "checks: "+strings.Join(checks, ", "))
	}
	return strings.Join(parts, "; ")
}

// verdictLine describes a posted balance with a link to it.
func verdictLine(r *service.Posted) string {
	if r == nil {
		return ""
	}
	if r.Balanced {
		return fmt.Sprintf(":white_check_mark: Balanced for %s: <%s|the summary>.", r.Period.Short(), r.Link)
	}
	return fmt.Sprintf(":warning: Not balanced for %s, %d %s: <%s|the summary>.", r.Period.Short(), r.NeedsAction,
		plural(r.NeedsAction, "visit needs action", "visits need action"), r.Link)
}

// esc escapes text for mrkdwn: &, < and > are control characters there.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// num writes a count without a needless ".0".
func num(f float64) string {
	if f == math.Trunc(f) {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}
