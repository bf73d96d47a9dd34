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

// statusLines describe what is stored for p, location by location.
func statusLines(covs []*rules.Coverage, p rules.Period) []string {
	var lines []string
	for _, c := range covs {
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
		lines = append(lines, fmt.Sprintf("• %s — %s", covName(c), strings.Join(parts, "; ")))
	}
	return lines
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
