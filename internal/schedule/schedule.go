// Package schedule sends reminders on cron schedules in the practice's time
// zone. It decides when only: what a reminder says is Send's business, and
// when each reminder last went out is the store's, so a restart neither
// repeats a reminder nor loses one (a reminder missed while the bot was
// down goes out once on start, marked late).
//
// robfig/cron parses the schedules; the waiting is done here on an
// injectable clock, because cron's own runner reads the system clock and
// could not be tested across a DST change or a restart.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/balancebot/balancebot/internal/clock"
	"github.com/balancebot/balancebot/internal/service"
)

// Reminder is a named schedule and the channels it goes to.
type Reminder struct {
	Name     string
	Spec     string // cron: minute hour dom month dow, with an optional leading seconds field
	Channels []string
}

// Send delivers one reminder. late is set for one sent after its time
// because the bot was down then.
type Send func(ctx context.Context, name, channel string, slot time.Time, late bool) error

// Scheduler runs reminders.
type Scheduler struct {
	clock clock.Clock
	tz    *time.Location
	store service.ReminderStore
	send  Send
	log   *slog.Logger
	plans []plan
	// Tick is called after each round of sends (tests wait on it).
	Tick func()
}

type plan struct {
	Reminder
	sched cron.Schedule
}

var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse checks a cron spec: "0 9 * * MON" (Monday 09:00), with an optional
// leading seconds field, or a descriptor such as "@weekly".
func Parse(spec string) (cron.Schedule, error) {
	s, err := parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron schedule (%v): write minute hour day-of-month month day-of-week, as \"0 9 * * MON\" for Mondays at 9:00", spec, err)
	}
	return s, nil
}

// New makes a scheduler; reminders with no channels are dropped.
func New(c clock.Clock, tz *time.Location, store service.ReminderStore, send Send, log *slog.Logger, reminders ...Reminder) (*Scheduler, error) {
	s := &Scheduler{clock: c, tz: tz, store: store, send: send, log: log, Tick: func() {}}
	for _, r := range reminders {
		if len(r.Channels) == 0 || r.Spec == "" {
			continue
		}
		sched, err := Parse(r.Spec)
		if err != nil {
			return nil, fmt.Errorf("%s reminder: %w", r.Name, err)
		}
		s.plans = append(s.plans, plan{r, sched})
	}
	return s, nil
}

// Run sends what was missed, then each reminder at its time, until ctx
// ends.
func (s *Scheduler) Run(ctx context.Context) error {
	if len(s.plans) == 0 {
		<-ctx.Done()
		return nil
	}
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	for {
		now := s.clock.Now().In(s.tz)
		next := time.Time{}
		for _, p := range s.plans {
			if n := p.sched.Next(now); next.IsZero() || n.Before(next) {
				next = n
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(next.Sub(now)):
		}
		for _, p := range s.plans {
			// Every plan due at this instant fires; Next from just before
			// it tells which.
			if !p.sched.Next(next.Add(-time.Second)).Equal(next) {
				continue
			}
			for _, ch := range p.Channels {
				s.deliver(ctx, p.Name, ch, next, false)
			}
		}
		s.Tick()
	}
}

// catchUp sends, once, the latest slot of each reminder that fell while
// the bot was down. The first start only sets the baseline.
func (s *Scheduler) catchUp(ctx context.Context) error {
	now := s.clock.Now().In(s.tz)
	for _, p := range s.plans {
		for _, ch := range p.Channels {
			last, ok, err := s.store.LastReminder(ctx, p.Name, ch)
			if err != nil {
				return fmt.Errorf("reading reminder state: %w", err)
			}
			if !ok {
				if err := s.store.SetReminder(ctx, p.Name, ch, now); err != nil {
					return fmt.Errorf("saving reminder state: %w", err)
				}
				continue
			}
			var missed time.Time
			for t := p.sched.Next(last.In(s.tz)); !t.After(now); t = p.sched.Next(t) {
				missed = t
			}
			if !missed.IsZero() {
				// Starting within a minute of the time is being on time.
				s.deliver(ctx, p.Name, ch, missed, now.Sub(missed) > time.Minute)
			}
		}
	}
	s.Tick()
	return nil
}

// deliver sends one reminder and records it. The slot is claimed first,
// so of several replicas due to send it, one does. A send that fails
// gives the claim back, so the next start sends it late rather than never.
func (s *Scheduler) deliver(ctx context.Context, name, ch string, slot time.Time, late bool) {
	// A shutdown must not cut a send short: Slack may have taken the
	// message before the cut, and an unrecorded send goes out again on the
	// next start. So the claim, the send and the record finish first.
	ctx = context.WithoutCancel(ctx)
	prev, hadPrev, err := s.store.LastReminder(ctx, name, ch)
	if err != nil {
		s.log.Error("reminder not sent: cannot read its state", "reminder", name, "channel", ch, "err", err.Error())
		return
	}
	claimed, err := s.store.ClaimReminder(ctx, name, ch, slot)
	if err != nil {
		s.log.Error("reminder not sent: cannot claim it", "reminder", name, "channel", ch, "err", err.Error())
		return
	}
	if !claimed {
		s.log.Info("reminder already sent by another replica", "reminder", name, "channel", ch, "slot", slot.Format(time.RFC3339))
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.send(sendCtx, name, ch, slot, late); err != nil {
		s.log.Error("reminder not sent", "reminder", name, "channel", ch, "err", err.Error())
		if hadPrev {
			if err := s.store.SetReminder(ctx, name, ch, prev); err != nil {
				s.log.Error("reminder not sent, and its claim not given back", "reminder", name, "channel", ch, "err", err.Error())
			}
		}
		return
	}
	s.log.Info("reminder sent", "reminder", name, "channel", ch, "slot", slot.Format(time.RFC3339), "late", late)
}
