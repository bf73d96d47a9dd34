package slackbot

import (
	"context"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/clock"
)

func TestPacerSpacesCallsAfterTheBurst(t *testing.T) {
	c := clock.NewFake(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	p := newPacer(c, Pace{ChannelPosts: Rate{Every: time.Second, Burst: 3}, Tier3: Rate{Every: 2 * time.Second, Burst: 1}})
	// Just started, it does not know what the process before it spent:
	// no burst until a burst's worth of time has passed.
	if d1, d2 := p.reserve("chat.postMessage", "C0"), p.reserve("chat.postMessage", "C0"); d1 != 0 || d2 != time.Second {
		t.Fatalf("just started: waits %v then %v, want 0 then 1s", d1, d2)
	}
	c.Advance(2 * time.Second)
	var waits []time.Duration
	for range 5 {
		waits = append(waits, p.reserve("chat.postMessage", "C1"))
	}
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
	if d := p.reserve("files.upload", "C2"); d != 0 {
		t.Errorf("another channel waits %v on the first one's posts", d)
	}
	if d := p.reserve("files.upload", "C1"); d != 3*time.Second {
		t.Errorf("a file shared in C1 waits %v, want 3s: files count as posts", d)
	}
	if d1, d2 := p.reserve("chat.update", ""), p.reserve("chat.update", ""); d1 != 0 || d2 != 2*time.Second {
		t.Errorf("chat.update waits %v then %v, want 0 then 2s", d1, d2)
	}
	if d := p.reserve("auth.test", ""); d != 0 {
		t.Errorf("an unpaced method waits %v", d)
	}
	// Time passing refills the burst.
	c.Advance(time.Minute)
	for i := range 3 {
		if d := p.reserve("chat.postMessage", "C1"); d != 0 {
			t.Fatalf("post %d after a quiet minute waits %v", i+1, d)
		}
	}
	// A wait is on the clock: it ends when the clock moves.
	done := make(chan error, 1)
	go func() { done <- p.wait(context.Background(), "chat.postMessage", "C1") }()
	<-c.Waiting()
	c.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
