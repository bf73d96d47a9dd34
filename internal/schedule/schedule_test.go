package schedule

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/clock"
	"github.com/balancebot/balancebot/internal/store"
)

var chicago, _ = time.LoadLocation("America/Chicago")

type sent struct {
	name, channel string
	slot          time.Time
	late          bool
}

// harness runs a scheduler on a fake clock and a real store, recording
// what it sends.
type harness struct {
	t      *testing.T
	clock  *clock.Fake
	store  *store.DB
	mu     sync.Mutex
	sent   []sent
	fail   bool
	ticks  chan struct{}
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t *testing.T, now time.Time) *harness {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, clock: clock.NewFake(now), store: db}
	db.Now = h.clock.Now
	return h
}

// start runs a scheduler (a fresh one: a restart) and waits until it has
// caught up and is waiting.
func (h *harness) start(specs ...Reminder) {
	h.t.Helper()
	send := func(_ context.Context, name, ch string, slot time.Time, late bool) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.fail {
			return errors.New("slack is down")
		}
		h.sent = append(h.sent, sent{name, ch, slot, late})
		return nil
	}
	s, err := New(h.clock, chicago, h.store, send, slog.New(slog.NewTextHandler(io.Discard, nil)), specs...)
	if err != nil {
		h.t.Fatal(err)
	}
	h.ticks = make(chan struct{}, 10)
	s.Tick = func() { h.ticks <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- s.Run(ctx) }()
	h.waitTick()
	h.waitAsleep()
}

func (h *harness) stop() {
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) waitTick() {
	h.t.Helper()
	select {
	case <-h.ticks:
	case <-time.After(5 * time.Second):
		h.t.Fatal("the scheduler did not finish a round")
	}
}

func (h *harness) waitAsleep() {
	h.t.Helper()
	select {
	case <-h.clock.Waiting():
	case <-time.After(5 * time.Second):
		h.t.Fatal("the scheduler is not waiting")
	}
}

// moveTo sets the clock and, when a reminder is due, waits for its round.
func (h *harness) moveTo(t time.Time, due bool) {
	h.t.Helper()
	h.clock.Set(t)
	if due {
		h.waitTick()
		h.waitAsleep()
	}
}

func (h *harness) sends() []sent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sent(nil), h.sent...)
}

func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, chicago)
}

var weekly = Reminder{Name: "weekly", Spec: "0 9 * * MON", Channels: []string{"C1"}}

func TestFiresAtLocalTimeAcrossDST(t *testing.T) {
	// US daylight time ends on Sunday, November 1, 2026.
	h := newHarness(t, at(2026, 10, 25, 12, 0))
	h.start(weekly)
	defer h.stop()
	if n := len(h.sends()); n != 0 {
		t.Fatalf("the first start sent %d reminders; it should only set the baseline", n)
	}
	h.moveTo(at(2026, 10, 26, 9, 0), true) // 14:00 UTC, daylight time
	// A week later 14:00 UTC is 8:00 local: nothing yet.
	h.moveTo(time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC), false)
	if n := len(h.sends()); n != 1 {
		t.Fatalf("%d sends by 8:00 on Nov 2, want 1", n)
	}
	h.moveTo(at(2026, 11, 2, 9, 0), true) // 15:00 UTC, standard time
	got := h.sends()
	if len(got) != 2 {
		t.Fatalf("sends: %+v", got)
	}
	for i, wantUTC := range []int{14, 15} {
		s := got[i]
		if s.slot.In(chicago).Hour() != 9 || s.slot.UTC().Hour() != wantUTC || s.late || s.channel != "C1" {
			t.Errorf("send %d at %v (%v UTC), late %v", i, s.slot.In(chicago), s.slot.UTC(), s.late)
		}
	}
}

func TestNoDoubleSendAfterRestart(t *testing.T) {
	h := newHarness(t, at(2026, 11, 22, 12, 0))
	h.start(weekly)
	h.moveTo(at(2026, 11, 23, 9, 0), true)
	h.stop()
	// Restarted a few minutes later: Monday's reminder is not sent again.
	h.clock.Set(at(2026, 11, 23, 9, 5))
	h.start(weekly)
	defer h.stop()
	if got := h.sends(); len(got) != 1 {
		t.Errorf("sends after a restart: %+v", got)
	}
	h.moveTo(at(2026, 11, 30, 9, 0), true)
	if got := h.sends(); len(got) != 2 || got[1].late {
		t.Errorf("the next week's reminder: %+v", got)
	}
}

func TestOneLateSendAfterDowntime(t *testing.T) {
	h := newHarness(t, at(2026, 11, 20, 12, 0))
	h.start(weekly)
	h.stop()
	// Down over Monday 9:00 and back on Tuesday.
	h.clock.Set(at(2026, 11, 24, 10, 30))
	h.start(weekly)
	got := h.sends()
	if len(got) != 1 || !got[0].late || !got[0].slot.Equal(at(2026, 11, 23, 9, 0)) {
		t.Fatalf("catch-up sends: %+v", got)
	}
	h.stop()
	// Restarting again does not send it twice.
	h.start(weekly)
	h.stop()
	if got := h.sends(); len(got) != 1 {
		t.Errorf("a second restart sent it again: %+v", got)
	}
	// Down for two weeks: one late reminder, for the latest slot.
	h.clock.Set(at(2026, 12, 9, 8, 0))
	h.start(weekly)
	defer h.stop()
	got = h.sends()
	if len(got) != 2 || !got[1].late || !got[1].slot.Equal(at(2026, 12, 7, 9, 0)) {
		t.Errorf("after two missed weeks: %+v", got)
	}
}

func TestFailedSendIsRetriedOnStart(t *testing.T) {
	h := newHarness(t, at(2026, 11, 22, 12, 0))
	h.start(weekly)
	h.fail = true
	h.moveTo(at(2026, 11, 23, 9, 0), true)
	h.stop()
	h.fail = false
	h.clock.Set(at(2026, 11, 23, 11, 0))
	h.start(weekly)
	defer h.stop()
	if got := h.sends(); len(got) != 1 || !got[0].late {
		t.Errorf("a reminder Slack refused must not be lost: %+v", got)
	}
}

func TestParse(t *testing.T) {
	for _, ok := range []string{"0 9 * * MON", "30 0 9 * * MON", "0 8 * * TUE-FRI", "@weekly"} {
		if _, err := Parse(ok); err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
		}
	}
	if _, err := Parse("every monday"); err == nil {
		t.Error("Parse accepted nonsense")
	}
	s, _ := Parse("30 0 9 * * MON") // with seconds
	if n := s.Next(at(2026, 11, 22, 0, 0)); !n.Equal(at(2026, 11, 23, 9, 0).Add(30 * time.Second)) {
		t.Errorf("next = %v", n)
	}
}

// TestShutdownDuringSendStillRecords stops the scheduler while a reminder
// is being sent: the send completes, so it must be recorded and not sent
// again on the next start.
func TestShutdownDuringSendStillRecords(t *testing.T) {
	h := newHarness(t, at(2026, 11, 22, 12, 0))
	h.start(weekly)
	h.stop()
	h.clock.Set(at(2026, 11, 23, 10, 0))
	var cancel context.CancelFunc
	send := func(ctx context.Context, name, ch string, slot time.Time, late bool) error {
		cancel() // the shutdown arrives while Slack is answering
		h.mu.Lock()
		h.sent = append(h.sent, sent{name, ch, slot, late})
		h.mu.Unlock()
		return nil
	}
	s, err := New(h.clock, chicago, h.store, send, slog.New(slog.NewTextHandler(io.Discard, nil)), weekly)
	if err != nil {
		t.Fatal(err)
	}
	ctx, c := context.WithCancel(context.Background())
	cancel = c
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	h.start(weekly)
	defer h.stop()
	if got := h.sends(); len(got) != 1 {
		t.Errorf("a reminder sent during shutdown went again: %+v", got)
	}
}
