package render

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/balancebot/balancebot/internal/rules"
)

// Block Kit limits (see docs/slack.md). Thread messages stay well under the
// reported ~13k characters at which Slack refuses block text.
const (
	maxBlocks        = 50
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxHeaderText    = 150
	msgBlockBudget   = 45
	msgTextBudget    = 10000
	sectionChunk     = 2800
	maxListedInSlack = 400 // mismatches listed in the thread; the CSV has them all
	maxSummaryLocs   = 6   // locations shown one by one in the summary
	maxMetadataLocs  = 50
	// unbalancedBudget bounds the characters of the summary's list of
	// unbalanced locations, over as many sections as it takes: about 110
	// names, well inside the summary's text budget.
	unbalancedBudget = 5000
	// compactUnbalanced is how many unbalanced locations the summary lists
	// with their reasons; past it, names and counts only.
	compactUnbalanced = 20
	// compactDetailsLocs is how many locations the details list in full;
	// past it they are compact (reasonLegend).
	compactDetailsLocs = 5
)

// CSV writes the mismatch CSV attached in the thread.
// ShowNamesAction is the summary button's action_id (workflow.md); its
// value is the balance's period, "FROM/TO".
const ShowNamesAction = "show_names"

// ItemBlocks is ItemBlocks as a list: the item's line, then its actions
// while it is open.
func (BlockKit) ItemBlocks(it *rules.Item, full bool) []slack.Block {
	text, actions := ItemBlocks(it, full)
	if actions == nil {
		return []slack.Block{text}
	}
	return []slack.Block{text, actions}
}

func (BlockKit) CSV(w io.Writer, res *rules.Result, full bool) error { return CSV(w, res, full) }

// esc escapes text for mrkdwn: &, < and > are control characters there.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clip(s, maxSectionText), false, false)
}

func plain(s string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, clip(s, limit), true, false)
}

// clip cuts s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// BlockKit renders results for Slack: the summary posted in the channel
// and the details posted in its thread, within Block Kit's limits, and the
// mismatch CSV attached there. cmd/ gives it to the Slack adapter.
type BlockKit struct{}

// Summary renders the channel message for res: blocks, a plain-text
// fallback, and metadata without patient data. ledger is what the balance
// did to the open items, per location (nil where no ledger is kept). full
// says whether patients show by name in the thread and the CSV, which the
// summary tells truly.
func (BlockKit) Summary(res *rules.Result, ledger []rules.LocationItems, full bool) slack.Msg {
	period := res.Period().Short()
	var where string
	if len(res.Locations) == 1 {
		where = LocationName(&res.Locations[0]) + " · "
	}
	verdict := ":white_check_mark: Balanced"
	if !res.Balanced {
		verdict = ":warning: Not balanced"
	}
	blocks := []slack.Block{slack.NewHeaderBlock(plain(fmt.Sprintf("%s%s · %s", where, strings.TrimPrefix(strings.TrimPrefix(verdict, ":white_check_mark: "), ":warning: "), period), maxHeaderText))}

	if len(res.Locations) <= maxSummaryLocs {
		for i := range res.Locations {
			blocks = append(blocks, locationBlocks(&res.Locations[i], len(res.Locations) > 1)...)
		}
	} else {
		blocks = append(blocks, manyLocationsBlocks(res)...)
	}
	if line := strings.Trim(itemsLine(ledger)+"\n"+ownersLine(ledger), "\n"); line != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(line), nil, nil))
	}
	if next := nextSteps(res); next != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn("*What to do next*\n"+next), nil, nil))
	}
	if slices.ContainsFunc(res.Warnings, func(w rules.Warning) bool { return !saidFirst(w) }) {
		var b strings.Builder
		b.WriteString("*Before you trust this balance*")
		for _, w := range res.Warnings {
			if saidFirst(w) {
				continue // step 1 of what to do next says it
			}
			line := "\n• " + esc(WarningText(w, full))
			if b.Len()+len(line) > maxSectionText-40 {
				b.WriteString("\n• …and more in the thread")
				break
			}
			b.WriteString(line)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
	}
	var files []string
	for _, in := range res.Inputs {
		files = append(files, esc(in.File))
	}
	shown := "Patients show as initials and the last digits of an id."
	if full {
		shown = "Patients show by full name (BALANCEBOT_FULL_NAMES is on)."
	}
	if !full && slices.ContainsFunc(res.Locations, func(l rules.Location) bool { return len(l.Mismatches) > 0 }) {
		// Those allowed to see patient data get the names privately.
		blocks = append(blocks, slack.NewActionBlock("show_names",
			slack.NewButtonBlockElement(ShowNamesAction, res.From.String()+"/"+res.To.String(), plain("Show names (allowed staff only)", 75))))
	}
	blocks = append(blocks, slack.NewContextBlock("", mrkdwn(clip("Visit by visit in the thread, with the full list as a CSV. "+shown+" From "+strings.Join(files, ", ")+".", maxSectionText))))
	if len(blocks) > maxBlocks {
		blocks = append(blocks[:maxBlocks-1], blocks[len(blocks)-1])
	}
	return slack.Msg{Blocks: slack.Blocks{BlockSet: blocks}, Text: summaryText(res, verdict, period), Metadata: resultMetadata(res, ledger)}
}

// ownersLine mentions the clinic owners of each location not balanced
// (dismissals counted as explained): "Over to <@U1> for Downtown".
func ownersLine(ledger []rules.LocationItems) string {
	var parts []string
	for _, l := range ledger {
		if l.Balanced || len(l.Owners) == 0 {
			continue
		}
		who := make([]string, len(l.Owners))
		for i, u := range l.Owners {
			who[i] = "<@" + u + ">"
		}
		parts = append(parts, strings.Join(who, " ")+" for *"+esc(l.Location)+"*")
	}
	if len(parts) == 0 {
		return ""
	}
	return "*Over to:* " + strings.Join(parts, " · ")
}

// itemsLine says what the balance did to the open items: how many are
// open, how many of those were carried over from earlier balances, and
// what it resolved, reopened and found dismissed. "" without a ledger, or
// when there is nothing to say.
func itemsLine(ledger []rules.LocationItems) string {
	var t rules.LocationItems
	for _, l := range ledger {
		t.Open += l.Open
		t.New += l.New
		t.Reopened += l.Reopened
		t.Resolved += l.Resolved
		t.Confirmed += l.Confirmed
		t.Dismissed += l.Dismissed
	}
	if t.Open+t.Resolved+t.Dismissed == 0 {
		return ""
	}
	parts := []string{fmt.Sprintf("*Open items:* %d open", t.Open)}
	if carried := t.Open - t.New; t.Open > 0 {
		parts[0] += fmt.Sprintf(" (%d carried over, %d new)", carried, t.New)
	}
	if t.Reopened > 0 {
		parts = append(parts, fmt.Sprintf("%d reopened: marked fixed or resolved, and still here", t.Reopened))
	}
	if t.Resolved > 0 {
		r := fmt.Sprintf("%d resolved by this balance", t.Resolved)
		if t.Confirmed > 0 {
			r += fmt.Sprintf(" (%d confirmed fixed)", t.Confirmed)
		}
		parts = append(parts, r)
	}
	if t.Dismissed > 0 {
		parts = append(parts, fmt.Sprintf("%d dismissed with a note", t.Dismissed))
	}
	return strings.Join(parts, " · ")
}

func summaryText(res *rules.Result, verdict, period string) string {
	verdict = strings.TrimPrefix(strings.TrimPrefix(verdict, ":white_check_mark: "), ":warning: ")
	var parts []string
	if len(res.Locations) > maxSummaryLocs {
		var emr, bill, matched, open int
		for i := range res.Locations {
			l := &res.Locations[i]
			emr, bill, matched = emr+l.EMRVisits, bill+l.BillingVisits, matched+l.MatchedVisits
			if !l.Balanced {
				open++
			}
		}
		parts = append(parts, fmt.Sprintf("%d locations, %d not balanced: EMR %d, billing %d, matched %d", len(res.Locations), open, emr, bill, matched))
	} else {
		for i := range res.Locations {
			l := &res.Locations[i]
			parts = append(parts, fmt.Sprintf("%s: EMR %d, billing %d, matched %d", LocationName(l), l.EMRVisits, l.BillingVisits, l.MatchedVisits))
		}
	}
	return clip(fmt.Sprintf("%s, %s. %s.", verdict, period, strings.Join(parts, "; ")), 3000)
}

func locationBlocks(l *rules.Location, named bool) []slack.Block {
	state := "balanced"
	if !l.Balanced {
		n := l.ActionCount()
		state = fmt.Sprintf("*not balanced*: %d %s", n, Plural(n, "visit needs action", "visits need action"))
	}
	title := fmt.Sprintf("*%s*: %s", esc(LocationName(l)), state)
	if !named {
		// The header names the location already.
		title = "Balanced"
		if !l.Balanced {
			n := l.ActionCount()
			title = fmt.Sprintf("*Not balanced*: %d %s", n, Plural(n, "visit needs action", "visits need action"))
		}
	}
	fields := []*slack.TextBlockObject{
		mrkdwn(fmt.Sprintf("*EMR visits*\n%d", l.EMRVisits)),
		mrkdwn(fmt.Sprintf("*Billing visits*\n%d", l.BillingVisits)),
		mrkdwn(fmt.Sprintf("*Matched*\n%d", l.MatchedVisits)),
		mrkdwn(fmt.Sprintf("*Difference*\n%s", Signed(l.Difference()))),
	}
	if np := l.NewPatients; np != nil {
		s := fmt.Sprintf("*New patients*\nEMR %s · billing %s", Num(np.EMR), Num(np.Billing))
		if np.SameDay > 0 {
			s += fmt.Sprintf(" (%s same-day)", Num(np.SameDay))
		}
		fields = append(fields, mrkdwn(s))
	}
	if l.EMRUnits != nil || l.BillingUnits != nil {
		fields = append(fields, mrkdwn(fmt.Sprintf("*Units (information only)*\nEMR %s · billing %s", optUnits(l.EMRUnits), optUnits(l.BillingUnits))))
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(title), fields, nil)}
	if len(l.Mismatches) > 0 {
		var b strings.Builder
		b.WriteString("*What explains the difference*")
		for _, g := range GroupByReason(l) {
			tag := "expected"
			if g.Reason.NeedsAction() {
				tag = "*needs action*"
			}
			fmt.Fprintf(&b, "\n• %s: %d — %s", g.Reason.Title(), len(g.Mismatches), tag)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
	}
	return blocks
}

// optUnits shows units a report may not carry, with a dash when it does not.
func optUnits(f *float64) string {
	if f == nil {
		return "—"
	}
	return Num(*f)
}

// manyLocationsBlocks sums up a result with more locations than fit one by
// one: totals, then the locations that need action.
func manyLocationsBlocks(res *rules.Result) []slack.Block {
	var emr, bill, matched, open int
	var unbalanced []*rules.Location
	for i := range res.Locations {
		l := &res.Locations[i]
		emr += l.EMRVisits
		bill += l.BillingVisits
		matched += l.MatchedVisits
		if !l.Balanced {
			unbalanced = append(unbalanced, l)
			open += l.ActionCount()
		}
	}
	fields := []*slack.TextBlockObject{
		mrkdwn(fmt.Sprintf("*Locations*\n%d (%d balanced)", len(res.Locations), len(res.Locations)-len(unbalanced))),
		mrkdwn(fmt.Sprintf("*Visits needing action*\n%d", open)),
		mrkdwn(fmt.Sprintf("*EMR visits*\n%d", emr)),
		mrkdwn(fmt.Sprintf("*Billing visits*\n%d", bill)),
		mrkdwn(fmt.Sprintf("*Matched*\n%d", matched)),
		mrkdwn(fmt.Sprintf("*Difference*\n%s", Signed(emr-bill))),
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn("*All locations*"), fields, nil)}
	if len(unbalanced) == 0 {
		return blocks
	}
	sort.SliceStable(unbalanced, func(i, j int) bool { return unbalanced[i].ActionCount() > unbalanced[j].ActionCount() })
	// Every unbalanced location is named, up to unbalancedBudget: the list
	// runs over as many sections as it needs.
	var b strings.Builder
	listed := 0
	b.WriteString(fmt.Sprintf("*Not balanced* (%d)", len(unbalanced)))
	if len(unbalanced) > compactUnbalanced {
		b.WriteString(": visits needing action, most first")
	}
	for i, l := range unbalanced {
		var rs []string
		for _, g := range GroupByReason(l) {
			if g.Reason.NeedsAction() {
				rs = append(rs, fmt.Sprintf("%s %d", g.Reason.Title(), len(g.Mismatches)))
			}
		}
		line := fmt.Sprintf("\n• *%s*: %d need action (%s)", esc(LocationName(l)), l.ActionCount(), strings.Join(rs, ", "))
		if len(unbalanced) > compactUnbalanced {
			// A long list names each location and its count; the
			// reasons are in the thread.
			line = fmt.Sprintf("\n• *%s*: %d", esc(LocationName(l)), l.ActionCount())
		}
		if listed += len(line); listed > unbalancedBudget {
			fmt.Fprintf(&b, "\n• …and %d more locations in the thread", len(unbalanced)-i)
			break
		}
		if b.Len()+len(line) > maxSectionText-60 {
			blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
			b.Reset()
			line = strings.TrimPrefix(line, "\n")
		}
		b.WriteString(line)
	}
	return append(blocks, slack.NewSectionBlock(mrkdwn(b.String()), nil, nil))
}

// nextSteps lists what to do, once per reason that needs action.
func nextSteps(res *rules.Result) string {
	counts := map[rules.Reason]int{}
	for i := range res.Locations {
		for r, n := range res.Locations[i].Reasons {
			if r.NeedsAction() {
				counts[r] += n
			}
		}
	}
	var b strings.Builder
	n := 0
	for _, first := range RunAgainFirst(res) {
		n++
		fmt.Fprintf(&b, "%d. *First:* %s\n", n, esc(first))
	}
	for _, r := range rules.Reasons {
		if c := counts[r]; c > 0 {
			n++
			fmt.Fprintf(&b, "%d. *%s* (%d): %s\n", n, r.Title(), c, esc(r.Todo()))
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// resultMetadata is the summary's message metadata: counts only, never
// patients. Slack takes scalars or flat objects in event_payload, so each
// location is a flat object and its reasons one "reason=count,..." string.
func resultMetadata(res *rules.Result, ledger []rules.LocationItems) slack.SlackMetadata {
	tally := map[string]rules.LocationItems{}
	for _, l := range ledger {
		tally[l.Location] = l
	}
	locs := make([]*rules.Location, len(res.Locations))
	for i := range res.Locations {
		locs[i] = &res.Locations[i]
	}
	// Unbalanced locations first, so a cut list keeps the ones that matter.
	sort.SliceStable(locs, func(i, j int) bool { return !locs[i].Balanced && locs[j].Balanced })
	var items []map[string]any
	for i, l := range locs {
		if i == maxMetadataLocs {
			break
		}
		item := map[string]any{
			"location":       l.Location,
			"emr_visits":     l.EMRVisits,
			"billing_visits": l.BillingVisits,
			"matched_visits": l.MatchedVisits,
			"balanced":       l.Balanced,
			"reasons":        reasonCounts(l.Reasons),
		}
		if t, ok := tally[l.Location]; ok {
			item["open_items"] = t.Open
			item["resolved_items"] = t.Resolved
			item["dismissed_items"] = t.Dismissed
		}
		items = append(items, item)
	}
	return slack.SlackMetadata{EventType: "balance_result", EventPayload: map[string]any{
		"from":            res.From.String(),
		"to":              res.To.String(),
		"balanced":        res.Balanced,
		"locations":       items,
		"locations_total": len(res.Locations),
	}}
}

// reasonCounts writes reason counts as "billing_exception=1,norcm=2", in
// precedence order.
func reasonCounts(m map[rules.Reason]int) string {
	var parts []string
	for _, r := range rules.Reasons {
		if n := m[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", r, n))
		}
	}
	return strings.Join(parts, ",")
}

// Details renders the mismatches, grouped by location and reason, as
// thread messages that each stay within Block Kit's limits. A mismatch
// that is an open item of items (by its key) is its own section with the
// item's buttons (ItemBlocks), up to maxItemButtons of them. full shows
// patient names; otherwise initials and the last digits of an id.
func (BlockKit) Details(res *rules.Result, items map[rules.ItemKey]*rules.Item, full bool) []slack.Msg {
	var msgs []slack.Msg
	var cur []slack.Block
	curText := 0
	flush := func() {
		if len(cur) > 0 {
			msgs = append(msgs, slack.Msg{Blocks: slack.Blocks{BlockSet: cur}})
		}
		cur, curText = nil, 0
	}
	add := func(b slack.Block, textLen int) {
		if len(cur)+1 > msgBlockBudget || curText+textLen > msgTextBudget {
			flush()
		}
		cur = append(cur, b)
		curText += textLen
	}
	// With many locations the details are compact: why and what to do
	// once per reason, then per location its visits that need action,
	// with the expected differences as counts.
	compact := len(res.Locations) > compactDetailsLocs
	listed, total, buttons := 0, 0, 0
	for i := range res.Locations {
		for _, m := range res.Locations[i].Mismatches {
			if !compact || m.NeedsAction {
				total++
			}
		}
	}
	if compact {
		for _, line := range reasonLegend(res) {
			add(slack.NewSectionBlock(mrkdwn(line), nil, nil), len(line))
		}
	}
	var expectedOnly []string
	for i := range res.Locations {
		l := &res.Locations[i]
		if len(l.Mismatches) == 0 {
			continue
		}
		var expected []string
		if compact {
			for _, g := range GroupByReason(l) {
				if !g.Reason.NeedsAction() {
					expected = append(expected, fmt.Sprintf("%s %d", g.Reason.Title(), len(g.Mismatches)))
				}
			}
			if l.ActionCount() == 0 {
				expectedOnly = append(expectedOnly, fmt.Sprintf("*%s* (%s)", esc(LocationName(l)), strings.Join(expected, ", ")))
				continue
			}
		}
		if len(res.Locations) > 1 {
			head := fmt.Sprintf("*%s* · %s", esc(LocationName(l)), res.Period().Short())
			if len(expected) > 0 {
				head += " · expected: " + strings.Join(expected, ", ")
			}
			add(slack.NewSectionBlock(mrkdwn(head), nil, nil), len(head))
		}
		for _, g := range GroupByReason(l) {
			if listed >= maxListedInSlack {
				break
			}
			if compact && !g.Reason.NeedsAction() {
				continue
			}
			tag := "expected, nothing to fix"
			if g.Reason.NeedsAction() {
				tag = "*needs action*"
			}
			head := fmt.Sprintf("*%s* · %d %s · %s\n_Why:_ %s\n_To do:_ %s", g.Reason.Title(), len(g.Mismatches),
				Plural(len(g.Mismatches), "visit", "visits"), tag, esc(g.Reason.Explain()), esc(g.Reason.Todo()))
			if compact {
				head = fmt.Sprintf("_%s_ · %d", g.Reason.Title(), len(g.Mismatches))
			}
			add(slack.NewSectionBlock(mrkdwn(head), nil, nil), len(head))
			var chunk strings.Builder
			for _, m := range g.Mismatches {
				if listed >= maxListedInSlack {
					break
				}
				if it := items[rules.ItemKeyOf(l.Location, &m)]; it != nil && it.ID != 0 && buttons < maxItemButtons {
					if chunk.Len() > 0 {
						add(slack.NewSectionBlock(mrkdwn(chunk.String()), nil, nil), chunk.Len())
						chunk.Reset()
					}
					text, actions := ItemBlocks(it, full)
					if actions != nil && len(cur)+2 > msgBlockBudget {
						flush() // an item's line and its buttons stay together
					}
					add(text, len(text.Text.Text))
					if actions != nil {
						add(actions, 0)
					}
					buttons++
					listed++
					continue
				}
				line := "• " + esc(slackLine(m, full)) + "\n"
				if chunk.Len()+len(line) > sectionChunk {
					add(slack.NewSectionBlock(mrkdwn(chunk.String()), nil, nil), chunk.Len())
					chunk.Reset()
				}
				chunk.WriteString(line)
				listed++
			}
			if chunk.Len() > 0 {
				add(slack.NewSectionBlock(mrkdwn(chunk.String()), nil, nil), chunk.Len())
			}
		}
	}
	if len(expectedOnly) > 0 {
		var chunk strings.Builder
		chunk.WriteString("*Balanced, with expected differences only*\n")
		for _, e := range expectedOnly {
			if chunk.Len()+len(e)+3 > sectionChunk {
				add(slack.NewSectionBlock(mrkdwn(chunk.String()), nil, nil), chunk.Len())
				chunk.Reset()
			}
			chunk.WriteString(e + " · ")
		}
		add(slack.NewSectionBlock(mrkdwn(strings.TrimSuffix(chunk.String(), " · ")), nil, nil), chunk.Len())
	}
	if listed < total {
		note := fmt.Sprintf("…and %d more visits: every one is in the CSV below.", total-listed)
		add(slack.NewContextBlock("", mrkdwn(note)), len(note))
	}
	if compact {
		note := "Expected differences are counted, not listed: every visit is in the CSV below."
		add(slack.NewContextBlock("", mrkdwn(note)), len(note))
	}
	flush()
	for i := range msgs {
		msgs[i].Text = fmt.Sprintf("Balance details, part %d of %d", i+1, len(msgs))
	}
	return msgs
}

// reasonLegend says, once per reason the result has, why and what to do,
// with how many visits have it: the compact details' preamble.
func reasonLegend(res *rules.Result) []string {
	counts := map[rules.Reason]int{}
	for i := range res.Locations {
		for r, n := range res.Locations[i].Reasons {
			counts[r] += n
		}
	}
	var out []string
	for _, r := range rules.Reasons {
		n := counts[r]
		if n == 0 {
			continue
		}
		tag := "expected, nothing to fix"
		if r.NeedsAction() {
			tag = "*needs action*"
		}
		out = append(out, fmt.Sprintf("*%s* · %d %s in all · %s\n_Why:_ %s\n_To do:_ %s", r.Title(), n,
			Plural(n, "visit", "visits"), tag, esc(r.Explain()), esc(r.Todo())))
	}
	return out
}

// slackLine is one mismatch in Slack's proportional font: "EMR only · Tue
// 11/17 · J.S. (acct …482) · billing has Wed 11/18".
func slackLine(m rules.Mismatch, full bool) string {
	s := SideLabel(m.Side) + " · " + DayLabel(m.DateOfService) + " · " + Patient(m, full)
	if !m.OtherDate.IsZero() {
		other := "billing"
		if m.Side == rules.SideBilling {
			other = "the EMR"
		}
		s += " · " + other + " has " + DayLabel(m.OtherDate)
	}
	if m.MatchedAccount != "" {
		s += " · " + SameNameNote(m, full)
	}
	if m.OtherPatient != "" {
		s += " · " + OtherSpelling(m, full)
	}
	if d := DetailText(m); d != "" {
		s += " · " + d
	}
	return s
}
