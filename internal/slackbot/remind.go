package slackbot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

// Reminder names: the weekly reminder covers last week, the daily one the
// previous working day.
const (
	ReminderWeekly = "weekly"
	ReminderDaily  = "daily"
)

// Remind posts reminder name to channel for the scheduled time slot. late
// marks one sent after the bot was down at that time.
func (b *Bot) Remind(ctx context.Context, name, channel string, slot time.Time, late bool) error {
	text := b.reminderText(ctx, name, channel, slot, late)
	// The text can run past one section's 3,000 characters (both SOAP
	// versions' checklists), so it goes as a plain message.
	_, err := b.post(ctx, channel, "", text, nil)
	return err
}

// reminderPeriod is what a reminder sent at slot asks to balance.
func reminderPeriod(name string, slot rules.Date) rules.Period {
	if name == ReminderDaily {
		d := slot.AddDays(-1)
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDays(-1)
		}
		return rules.Period{From: d, To: d}
	}
	return weekOf(slot.AddDays(-7))
}

func (b *Bot) reminderText(ctx context.Context, name, channel string, slot time.Time, late bool) string {
	local := slot.In(b.cfg.TZ)
	r := reminder{Name: name, Slot: local, Late: late, Period: reminderPeriod(name, rules.DateOfTime(local))}
	covs, err := b.cfg.Service.Standing(ctx, channel, r.Period)
	switch {
	case err != nil:
		r.Unreadable = true
	case len(covs) > 0:
		r.Coverage = covs
		r.Posted, _ = b.cfg.Store.LatestResult(ctx, channel, r.Period)
	}
	text := reminderMessage(r, b.cfg.SOAPVersion)
	if items := b.reminderItems(ctx, channel, local); items != "" {
		// Before the checklist: what is still open is the week's first job.
		head, rest, _ := strings.Cut(text, "\n*Before you balance*")
		if strings.Contains(text, "\n*SOAP 1.0 clinics*") {
			head, rest, _ = strings.Cut(text, "\n*SOAP 1.0 clinics*")
			rest = "\n*SOAP 1.0 clinics*" + rest
		} else {
			rest = "\n*Before you balance*" + rest
		}
		text = head + items + "\n" + rest
	}
	return text
}

// reminderOldest is how many of each location's oldest open items a
// reminder lists; /balance open lists them all.
const reminderOldest = 3

// reminderItems says, per location, the open items new since the last
// reminder, still open, and resolved since, lists the oldest with their
// assignees mentioned; "" when the channel has no items.
func (b *Bot) reminderItems(ctx context.Context, channel string, slot time.Time) string {
	items, err := b.cfg.Store.Items(ctx, channel)
	if err != nil {
		b.log.Warn("cannot read the open items for a reminder", "err", err.Error())
		return ""
	}
	since := slot.AddDate(0, 0, -7)
	today := rules.DateOfTime(slot)
	type tally struct {
		name                  string
		open, fresh, resolved int
		oldest                []*rules.Item
	}
	var order []string
	by := map[string]*tally{}
	for _, it := range items { // oldest first
		t := by[it.Key.Location]
		if t == nil {
			t = &tally{name: it.Location}
			if t.name == "" {
				t.name = it.Key.Location
			}
			by[it.Key.Location] = t
			order = append(order, it.Key.Location)
		}
		switch {
		case it.State.IsOpen():
			t.open++
			if it.FirstSeen >= today.AddDays(-7) {
				t.fresh++
			}
			if len(t.oldest) < reminderOldest {
				t.oldest = append(t.oldest, it)
			}
		case it.State == rules.ItemResolved && !it.Closed.Before(since):
			t.resolved++
		}
	}
	var s strings.Builder
	for _, k := range order {
		t := by[k]
		if t.open == 0 && t.resolved == 0 {
			continue
		}
		fmt.Fprintf(&s, "• *%s*: %d open (%d new this week), %d resolved since last week\n", esc(t.name), t.open, t.fresh, t.resolved)
		for _, it := range t.oldest {
			s.WriteString("    ◦ " + b.cfg.Render.ItemLine(it, today, b.cfg.FullNames) + "\n")
		}
		if t.open > len(t.oldest) {
			fmt.Fprintf(&s, "    ◦ …and %d more: `/balance open %s`\n", t.open-len(t.oldest), t.name)
		}
	}
	if s.Len() == 0 {
		return ""
	}
	return "\n*Open items*, oldest first:\n" + s.String()
}

// reminder is what a reminder says: the period it asks to balance and how
// that period stands (no coverage: nothing uploaded).
type reminder struct {
	Name   string
	Slot   time.Time // in the practice's time zone
	Late   bool
	Period rules.Period
	// Unreadable is set when the store could not say what was uploaded.
	Unreadable bool
	Coverage   []*rules.Coverage
	Posted     *service.Posted
}

// reminderMessage renders a reminder for the practice's SOAP version.
func reminderMessage(r reminder, soap string) string {
	p := r.Period
	label := p.Short()
	var s strings.Builder
	what := "last week"
	if r.Name == ReminderDaily {
		what = "yesterday"
		if p.From.Weekday() == time.Friday {
			what = "Friday"
		}
	}
	fmt.Fprintf(&s, ":calendar: *Time to balance %s: %s*", what, label)
	if r.Late {
		fmt.Fprintf(&s, " _(sent late: balancebot was not running at %s)_", r.Slot.Format("3:04 PM Mon Jan 2"))
	}
	s.WriteString("\n\n")

	// How that period stands now.
	switch {
	case r.Unreadable:
		s.WriteString("*So far*: I could not read what was uploaded here.\n")
	case len(r.Coverage) == 0:
		s.WriteString("*So far*: nothing uploaded for these dates.\n")
	default:
		g := gaps(r.Coverage, p, soap)
		if r.Posted != nil {
			s.WriteString("*So far*: " + verdictLine(r.Posted) + "\n")
		}
		if len(g) > 0 {
			s.WriteString("*Still missing*:\n" + strings.Join(g, "\n") + "\n")
		}
		if r.Posted == nil && len(g) == 0 {
			s.WriteString("*So far*: both sides are uploaded; type `/balance week` to see the balance.\n")
		}
	}

	s.WriteString("\n" + checklist(soap, label))
	s.WriteString("\nDrop the exports in this channel and I will balance them as they arrive.")
	return s.String()
}

// checklist is the pre-balance checklist and the exports to pull, for the
// practice's SOAP version ("1.0", "2.0", or "" for both).
func checklist(soap, dates string) string {
	var s strings.Builder
	if soap != "2.0" {
		if soap == "" {
			s.WriteString("*SOAP 1.0 clinics*\n")
		}
		fmt.Fprintf(&s, "*Before you balance*\n"+
			"1. *Claims Feed Report* (WebPT EMR &gt; Reports, Reconciliation Mode = Transmission, %s): work every *Not Sent* and *NOT RE-BILLED* item first.\n"+
			"2. *Billing Exceptions Report* (WebPT Billing): resolve every entry.\n"+
			"*Then pull*, for each location, by Date of Service %s:\n"+
			"• *EMR Billing Report* (WebPT EMR &gt; Reports &gt; Billing Report, run by Date of Service)\n"+
			"• *Charge Audit Summary* (WebPT Billing: same Location, Date Type = Date of Service, same Date Range)\n"+
			"• *Insurance Class Summary* for the New Patients column, and the Claims Feed and Billing Exceptions exports, so I can explain differences\n", dates, dates)
	}
	if soap != "1.0" {
		if soap == "" {
			s.WriteString("\n*SOAP 2.0 clinics*\n")
		}
		fmt.Fprintf(&s, "*Before you balance*\n"+
			"1. *Documented Units* (WebPT Analytics, %s): note every visit finalized as *Do Not Bill* or with *0 units*; they never reach billing.\n"+
			"2. *Billing Exceptions Report* for *all* locations (WebPT Billing): resolve every entry.\n"+
			"*Then pull*, for each location, %s:\n"+
			"• *Documented Visits* (WebPT Analytics)\n"+
			"• *Charge Audit Summary* (WebPT Billing: same Location, same Date Range)\n"+
			"• the Documented Units and Billing Exceptions exports, so I can explain differences\n", dates, dates)
	}
	return s.String()
}
