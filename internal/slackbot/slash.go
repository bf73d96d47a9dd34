package slackbot

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

const usage = "*Balance the EMR against billing*\n" +
	"Drop the exports in this channel and I balance them as they arrive. Or ask:\n" +
	"• `/balance week`: last week, Monday to Sunday\n" +
	"• `/balance week this`: this week so far\n" +
	"• `/balance week 2026-11-16`: the week containing that date\n" +
	"• `/balance day [DATE]`: one day (yesterday when no date is given)\n" +
	"• `/balance status`: what is uploaded here, and what is missing\n" +
	"• `/balance open [LOCATION]`: the differences still open, oldest first\n" +
	"• `/balance location \"DOWNTOWN PT\" = Downtown`: a location billing or the EMR names differently; `/balance location` lists the map, `/balance location remove \"DOWNTOWN PT\"` takes a name out\n" +
	"• `/balance help`: this help\n" +
	"Exports: the EMR Billing Report (SOAP 1.0) or Documented Visits (SOAP 2.0), and the Charge Audit Summary; " +
	"the Claims Feed, Billing Exceptions, Documented Units and Insurance Class Summary explain differences. " +
	"Write `kind: claims_feed` or `location: Downtown` with an upload when I cannot tell."

// onSlash answers /balance. The ack goes out at once, within Slack's three
// seconds, carrying the immediate (ephemeral) answer; longer work answers
// later through the command's response_url.
func (b *Bot) onSlash(ctx context.Context, req *socketmode.Request, cmd slack.SlashCommand) {
	// An ack of 20 KB or more is refused, and the user is left without an
	// answer: none gets near it.
	ack := func(text string) {
		b.sm.Ack(*req, map[string]any{"response_type": "ephemeral", "text": clipAck(text)})
	}
	if !b.channelAllowed(cmd.ChannelID) {
		ack("I don't balance in this channel. Use the billing channel I work in, or ask whoever runs balancebot to add this one to BALANCEBOT_CHANNELS.")
		return
	}
	r, err := parseRequest(cmd.Text, b.today())
	if err != nil {
		ack(":grey_question: " + err.Error() + ".\n\n" + usage)
		return
	}
	b.log.Info("slash command", "verb", r.verb, "channel", cmd.ChannelID)
	switch r.verb {
	case "help":
		ack(usage)
	case "location":
		ack(b.locationRequest(ctx, cmd, r))
	case "open":
		start := b.reserve()
		ack(":mag: Looking up the open items…")
		start(func(ctx context.Context) { b.respond(ctx, cmd, b.openItems(ctx, cmd.ChannelID, r.loc.name)) })
	case "status":
		// The work is counted before the ack and started after it: once
		// Slack has the ack, the bot is busy until it has answered (Idle).
		start := b.reserve()
		ack(":mag: Looking at what is uploaded here…")
		start(func(ctx context.Context) { b.respond(ctx, cmd, b.status(ctx, cmd.ChannelID)) })
	default:
		start := b.reserve()
		ack(fmt.Sprintf(":hourglass_flowing_sand: Balancing %s…", r.period.Short()))
		start(func(ctx context.Context) { b.balanceRequest(ctx, cmd, r) })
	}
}

// openItems answers /balance open: the channel's open items, oldest first.
func (b *Bot) openItems(ctx context.Context, channel, where string) string {
	var locs []string
	if where != "" {
		locs = []string{where}
		// A name the channel's location map knows means its location:
		// billing's "DOWNTOWN PT" lists Downtown's items.
		if m, err := b.cfg.Service.LocationMap(ctx, channel); err == nil && m.Has(where) {
			where = m.Resolve(where)
			locs = append(locs, where)
		}
	}
	items, err := b.cfg.Store.Items(ctx, channel, locs...)
	if err != nil {
		b.log.Error("cannot read the open items", "err", err.Error())
		return ":x: I could not read the open items (a storage fault on our side). Try again in a minute."
	}
	return b.cfg.Render.OpenItems(items, where, b.today(), b.cfg.FullNames)
}

// respond answers the user who ran the command, privately.
func (b *Bot) respond(ctx context.Context, cmd slack.SlashCommand, text string) {
	text = clipText(text, 35000) // Slack cuts a message's text at 40,000 characters
	if cmd.ResponseURL != "" {
		err := b.call(ctx, "response_url", func(ctx context.Context) error {
			return slack.PostWebhookContext(ctx, cmd.ResponseURL, &slack.WebhookMessage{Text: text, ResponseType: slack.ResponseTypeEphemeral})
		})
		if err == nil {
			return
		}
		b.log.Warn("cannot answer through response_url", "err", err.Error())
	}
	b.ephemeral(ctx, cmd.ChannelID, cmd.UserID, text)
}

// balanceRequest balances a week or a day from what the channel holds.
func (b *Bot) balanceRequest(ctx context.Context, cmd slack.SlashCommand, r request) {
	lock := b.channelLock(cmd.ChannelID)
	lock.Lock()
	defer lock.Unlock()
	bal, err := b.cfg.Service.BalancePeriod(ctx, cmd.ChannelID, r.period)
	if err != nil {
		b.log.Error("cannot read stored uploads", "err", err.Error())
		b.respond(ctx, cmd, ":x: I could not read what was uploaded here (a storage fault on our side). Try again in a minute.")
		return
	}
	label := r.period.Short()
	if len(bal.Coverage) == 0 {
		b.respond(ctx, cmd, fmt.Sprintf("Nothing is uploaded here for %s yet. Drop these in this channel:\n• %s\n• %s\n"+
			"If I am not in this channel yet, type `/invite @balancebot` first, or I will not see what you drop.",
			label, strings.TrimPrefix(pullFor(rules.SideEMR, b.cfg.SOAPVersion), "the "), strings.TrimPrefix(pullFor(rules.SideBilling, b.cfg.SOAPVersion), "the ")))
		return
	}
	covs := bal.Coverage
	var notes []string
	if bal.Result == nil && bal.Err == nil {
		notes = append(notes, fmt.Sprintf("I cannot balance %s yet: no location has both sides.", label))
	} else {
		o := b.postBalance(ctx, cmd.ChannelID, bal, nil)
		if o.err != nil {
			notes = append(notes, ":x: Slack would not take the balance right now; try again in a minute.")
		}
		notes = append(notes, o.lines...)
		if o.notInChannel {
			// The rest would be about a balance nobody can see.
			b.respond(ctx, cmd, strings.Join(notes, "\n"))
			return
		}
	}
	if g := gaps(covs, r.period, b.cfg.SOAPVersion); len(g) > 0 {
		head := "Missing for " + label
		if r.toDate {
			head += " so far"
		}
		notes = append(notes, head+", drop these in this channel:")
		notes = append(notes, g...)
	}
	b.respond(ctx, cmd, strings.Join(notes, "\n"))
}

// status says what is stored for this week and last, and what is missing.
func (b *Bot) status(ctx context.Context, channel string) string {
	today := b.today()
	weeks := []statusWeek{
		{Name: "This week", Period: rules.Period{From: weekOf(today).From, To: today}},
		{Name: "Last week", Period: weekOf(today.AddDays(-7))},
	}
	items, err := b.cfg.Store.Items(ctx, channel)
	if err != nil {
		return ":x: I could not read the open items (a storage fault on our side). Try again in a minute."
	}
	for i := range weeks {
		w := &weeks[i]
		w.Open = openByLocation(items, w.Period, today)
		covs, err := b.cfg.Service.Standing(ctx, channel, w.Period)
		if err != nil {
			return ":x: I could not read what was uploaded here (a storage fault on our side). Try again in a minute."
		}
		if len(covs) == 0 {
			continue
		}
		w.Coverage = covs
		if res, err := b.cfg.Store.LatestResult(ctx, channel, w.Period); err == nil {
			w.Posted = res
		}
	}
	return statusText(weeks, b.cfg.SOAPVersion)
}

// statusWeek is what /balance status shows of one week: what is stored
// for it (no coverage: nothing uploaded) and the balance last posted.
type statusWeek struct {
	Name     string
	Period   rules.Period
	Coverage []*rules.Coverage
	Posted   *service.Posted
	// Open counts the open items with a date of service in the week, by
	// location key.
	Open map[string]openTally
}

// openTally is a location's open items: how many, and the oldest's age.
type openTally struct{ N, Oldest int }

// openByLocation tallies the open items with a date of service in p.
func openByLocation(items []*rules.Item, p rules.Period, today rules.Date) map[string]openTally {
	out := map[string]openTally{}
	for _, it := range items {
		if it.State.IsOpen() && p.Contains(it.Key.DateOfService) {
			t := out[it.Key.Location]
			t.N++
			t.Oldest = max(t.Oldest, it.Age(today))
			out[it.Key.Location] = t
		}
	}
	return out
}

// statusText renders /balance status.
func statusText(weeks []statusWeek, soap string) string {
	var out []string
	for _, w := range weeks {
		out = append(out, fmt.Sprintf("*%s* (%s)", w.Name, w.Period.Short()))
		if len(w.Coverage) == 0 {
			out = append(out, "• nothing uploaded")
			continue
		}
		out = append(out, statusLines(w.Coverage, w.Period, w.Posted, w.Open)...)
		if w.Posted != nil {
			out = append(out, verdictLine(w.Posted))
		}
		if g := gaps(w.Coverage, w.Period, soap); len(g) > 0 {
			out = append(out, "Missing:")
			out = append(out, g...)
		}
	}
	return strings.Join(out, "\n")
}

// locationRequest maps, unmaps or lists the channel's location names, and
// says what it did.
func (b *Bot) locationRequest(ctx context.Context, cmd slack.SlashCommand, r request) string {
	svc := b.cfg.Service
	const fault = ":x: I could not change the location map (a storage fault on our side). Try again in a minute."
	switch {
	case r.loc.remove:
		ok, err := svc.UnmapLocation(ctx, cmd.ChannelID, r.loc.name)
		switch {
		case err != nil:
			b.log.Error("cannot change the location map", "err", err.Error())
			return fault
		case !ok:
			return fmt.Sprintf("*%s* is not in the location map here; `/balance location` lists it.", esc(r.loc.name))
		}
		return fmt.Sprintf(":white_check_mark: *%s* is out of the location map: exports naming it are balanced under that name again.", esc(r.loc.name))
	case r.loc.name != "":
		e := service.LocationEntry{Name: r.loc.name, Location: r.loc.location, User: cmd.UserID, At: b.cfg.Clock.Now()}
		if err := svc.MapLocation(ctx, cmd.ChannelID, e); err != nil {
			b.log.Error("cannot change the location map", "err", err.Error())
			return fault
		}
		b.log.Info("location mapped", "channel", cmd.ChannelID)
		if rules.LocationKey(r.loc.name) == rules.LocationKey(r.loc.location) {
			return fmt.Sprintf(":white_check_mark: *%s* is its own location here: it is never paired with another name. `/balance week` balances again now.", esc(r.loc.name))
		}
		return fmt.Sprintf(":white_check_mark: From now on *%s* in an export here means *%s*. `/balance week` balances again now; new uploads use it.",
			esc(r.loc.name), esc(r.loc.location))
	}
	entries, err := svc.Locations(ctx, cmd.ChannelID)
	if err != nil {
		b.log.Error("cannot read the location map", "err", err.Error())
		return ":x: I could not read the location map (a storage fault on our side). Try again in a minute."
	}
	if len(entries) == 0 {
		return "No location names are mapped here. When billing and the EMR name a clinic differently, " + locationUsage + "."
	}
	lines := []string{"*Location map*"}
	for _, e := range entries {
		lines = append(lines, fmt.Sprintf("• *%s* means *%s* (set by <@%s>, %s)", esc(e.Name), esc(e.Location), e.User,
			e.At.In(b.cfg.TZ).Format("Mon Jan 2")))
	}
	return clipAck(strings.Join(lines, "\n"))
}

// clipAck keeps an ack's text well under Slack's 20 KB limit.
func clipAck(s string) string { return clipText(s, 12000) }

// clipText cuts s to at most limit bytes, at a line's end when it can, at
// a character's otherwise, and says so.
func clipText(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := strings.LastIndexByte(s[:limit], '\n')
	if cut < limit/2 {
		cut = limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + "\n…and more."
}
