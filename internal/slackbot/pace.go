package slackbot

import (
	"context"
	"sync"
	"time"

	"github.com/balancebot/balancebot/internal/clock"
)

// Rate is a pace: Burst calls at once, then one every Every. A zero Rate
// does not pace.
type Rate struct {
	Every time.Duration
	Burst int
}

// Pace is how fast the bot calls Slack, kept under Slack's rate limits
// (docs/slack.md) so that it waits before a call instead of after a 429.
type Pace struct {
	// ChannelPosts paces chat.postMessage and file shares, per channel.
	ChannelPosts Rate
	// Tier3 paces each Tier 3 method (chat.update, reactions.add,
	// conversations.history and .replies); Tier4 each Tier 4 one
	// (chat.getPermalink, chat.postEphemeral, views.*).
	Tier3, Tier4 Rate
}

// SlackPace keeps under Slack's limits: one post a second per channel
// after a burst of 3, and a little under each tier's rate (Tier 3 is
// about 50 calls a minute, Tier 4 about 100). Slack allows short bursts
// it does not size; these stay below what it has been seen to allow.
func SlackPace() Pace {
	return Pace{
		ChannelPosts: Rate{Every: time.Second, Burst: 3},
		Tier3:        Rate{Every: 1250 * time.Millisecond, Burst: 20},
		Tier4:        Rate{Every: 650 * time.Millisecond, Burst: 40},
	}
}

// Faster divides every interval by k, for tests that pace as Slack does
// without waiting Slack's seconds.
func (p Pace) Faster(k int) Pace {
	p.ChannelPosts.Every /= time.Duration(k)
	p.Tier3.Every /= time.Duration(k)
	p.Tier4.Every /= time.Duration(k)
	return p
}

// tierOf is the rate tier of the methods paced per workspace.
var tierOf = map[string]int{
	"chat.update": 3, "reactions.add": 3, "conversations.history": 3, "conversations.replies": 3,
	"chat.getPermalink": 4, "chat.postEphemeral": 4, "views.open": 4, "views.publish": 4,
}

// pacer spaces calls by the generic cell rate algorithm: each key has a
// theoretical arrival time, and a call waits until it is within the
// burst's tolerance of it. Waits are reserved when asked for, so calls
// waiting together go out in order, one interval apart.
//
// A process just started does not know what the one before it spent (a
// restart right after a burst): until a burst's worth of time has passed,
// it paces its posts as if their buckets were empty at its start. The
// tiers' bursts are far below Slack's minute's worth, so a restart within
// one leaves room for another.
type pacer struct {
	clock clock.Clock
	pace  Pace
	born  time.Time
	mu    sync.Mutex
	tat   map[string]time.Time
}

func newPacer(c clock.Clock, p Pace) *pacer {
	return &pacer{clock: c, pace: p, born: c.Now(), tat: map[string]time.Time{}}
}

// rate returns the key and the rate a call of method in channel is paced
// by.
func (p *pacer) rate(method, channel string) (string, Rate) {
	switch {
	case method == "chat.postMessage" || method == "files.upload":
		return "post:" + channel, p.pace.ChannelPosts
	case tierOf[method] == 3:
		return method, p.pace.Tier3
	case tierOf[method] == 4:
		return method, p.pace.Tier4
	}
	return "", Rate{}
}

// reserve books the next slot for a call and returns how long to wait
// for it.
func (p *pacer) reserve(method, channel string) time.Duration {
	key, r := p.rate(method, channel)
	if r.Every <= 0 || r.Burst <= 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	tat, ok := p.tat[key]
	if !ok && r == p.pace.ChannelPosts {
		tat = p.born.Add(time.Duration(r.Burst-1) * r.Every)
	}
	if tat.Before(now) {
		tat = now
	}
	wait := tat.Sub(now) - time.Duration(r.Burst-1)*r.Every
	p.tat[key] = tat.Add(r.Every)
	return max(wait, 0)
}

// wait waits for a call's slot, or for ctx.
func (p *pacer) wait(ctx context.Context, method, channel string) error {
	d := p.reserve(method, channel)
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-p.clock.After(d):
		return nil
	}
}
