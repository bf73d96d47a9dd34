package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

// One summary per channel and period, kept current (issue 14). A balance
// whose period holds a recent summary's, at every location it showed,
// updates that summary in place; an older one it replaces is marked
// superseded, with a link to the new one. The thread is written apart
// from the summary, by one writer per channel that posts only what changed
// since the thread was last written: a group that shares its week in
// twenty messages gets one summary, current after each, and one thread.

// postResult posts the balance's summary in the channel, or updates the
// recent one it replaces, hands the thread to the channel's writer, and
// returns a link to the summary. The caller answers the user right away;
// the thread follows.
func (b *Bot) postResult(ctx context.Context, channel string, res *rules.Result, a *answer) (string, error) {
	ledger, items := b.reevaluate(ctx, channel, res)
	sum := b.cfg.Render.Summary(res, ledger, b.cfg.FullNames)
	now := b.cfg.Clock.Now()
	current, older, all := b.summariesReplaced(ctx, channel, res, now)
	if ts := b.postedBefore(ctx, channel, a); ts != "" {
		// A resumed job posted its summary before it stopped: that one
		// is adopted (and brought up to date), not posted again.
		older = withoutTS(older, ts)
		adopted := withTS(all, ts)
		if adopted == nil {
			return b.finishPost(ctx, channel, res, items, b.recordNew(ctx, channel, res, ts, now), older, a), nil
		}
		if current != nil && current.TS != ts {
			older = append(older, current)
		}
		current = adopted
	}
	if current != nil {
		err := b.call(ctx, "chat.update", func(ctx context.Context) error {
			_, _, _, err := b.api.UpdateMessageContext(ctx, channel, current.TS, slack.MsgOptionText(sum.Text, false),
				slack.MsgOptionBlocks(sum.Blocks.BlockSet...), slack.MsgOptionMetadata(sum.Metadata))
			return err
		})
		if err == nil {
			current.Revision++
			b.describe(current, res, now)
			if current.Link == "" || current.Link == "#" {
				current.Link = b.permalink(ctx, channel, current.TS)
			}
			if err := b.cfg.Store.UpdateResult(context.WithoutCancel(ctx), current); err != nil {
				b.log.Warn("cannot record the balance updated", "err", err.Error())
			}
			b.log.Info("summary updated in place", "channel", channel, "revision", current.Revision, "locations", len(res.Locations))
			return b.finishPost(ctx, channel, res, items, current, older, a), nil
		}
		if ctx.Err() != nil || isNetErr(err) || isServerErr(err) || isNotInChannel(err) {
			return "", err
		}
		// Deleted, or too old to edit: a new summary replaces it.
		b.log.Warn("cannot update the summary in place; posting a new one", "err", err.Error())
		older = append([]*service.Posted{current}, older...)
	}
	ts, err := b.postMarked(ctx, a.mark("summary"), channel, "", sum.Text, sum.Blocks.BlockSet, sum.Metadata)
	if err != nil {
		return "", err
	}
	return b.finishPost(ctx, channel, res, items, b.recordNew(ctx, channel, res, ts, now), older, a), nil
}

// postedBefore returns the summary a resumed job posted before it
// stopped, if any: looked for by the job's mark.
func (b *Bot) postedBefore(ctx context.Context, channel string, a *answer) string {
	if a == nil || a.job == nil || a.job.Attempts <= 1 {
		return ""
	}
	m := a.mark("summary")
	if m == nil {
		return ""
	}
	return b.find(ctx, channel, "", m)
}

// recordNew records a summary just posted (or adopted), with its link.
// A record that cannot be kept is logged: the summary stands, only not
// kept current.
func (b *Bot) recordNew(ctx context.Context, channel string, res *rules.Result, ts string, now time.Time) *service.Posted {
	rec := &service.Posted{Channel: channel, TS: ts, Link: b.permalink(ctx, channel, ts)}
	b.describe(rec, res, now)
	if err := b.cfg.Store.SaveResult(context.WithoutCancel(ctx), rec); err != nil {
		b.log.Warn("cannot record the balance posted", "err", err.Error())
	}
	return rec
}

// finishPost marks the summaries replaced as superseded, hands the thread
// to the channel's writer, and returns the summary's link.
func (b *Bot) finishPost(ctx context.Context, channel string, res *rules.Result, items map[rules.ItemKey]*rules.Item,
	rec *service.Posted, older []*service.Posted, a *answer) string {
	if a != nil && a.posted != nil {
		a.posted(rec.TS)
	}
	for _, old := range older {
		b.supersede(ctx, channel, old, rec)
	}
	b.writeThread(channel, &threadWork{rec: *rec, res: res, items: items})
	return rec.Link
}

// describe sets what a summary record says of the balance.
func (b *Bot) describe(rec *service.Posted, res *rules.Result, now time.Time) {
	rec.Period, rec.Balanced, rec.At = res.Period(), res.Balanced, now
	rec.Locations, rec.NeedsAction = nil, 0
	for i := range res.Locations {
		rec.Locations = append(rec.Locations, res.Locations[i].Location)
		rec.NeedsAction += res.Locations[i].ActionCount()
	}
}

// permalink returns a message's link, or "#" when Slack gives none.
func (b *Bot) permalink(ctx context.Context, channel, ts string) string {
	link := ""
	err := b.call(ctx, "chat.getPermalink", func(ctx context.Context) error {
		var err error
		link, err = b.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	})
	if err != nil || link == "" {
		return "#"
	}
	return link
}

// summariesReplaced returns the summary this balance updates in place, if
// any (the latest recent one), and the older ones it supersedes: the
// channel's summaries not yet superseded whose period lies within the
// balance's and whose every location it balances again.
func (b *Bot) summariesReplaced(ctx context.Context, channel string, res *rules.Result, now time.Time) (current *service.Posted, older, all []*service.Posted) {
	got, err := b.cfg.Store.Summaries(ctx, channel, res.Period())
	if err != nil {
		b.log.Warn("cannot read the summaries posted", "err", err.Error())
		return nil, nil, nil
	}
	here := map[string]bool{}
	for i := range res.Locations {
		here[rules.LocationKey(res.Locations[i].Location)] = true
	}
	for _, p := range got {
		covered := true
		for _, l := range p.Locations {
			covered = covered && here[rules.LocationKey(l)]
		}
		if !covered || p.TS == "" {
			continue
		}
		if current == nil && len(older) == 0 && b.cfg.UpdateWindow > 0 && now.Sub(p.At) <= b.cfg.UpdateWindow {
			current = p
			continue
		}
		older = append(older, p)
	}
	return current, older, got
}

// withTS returns the summary posted as ts among ps, or nil.
func withTS(ps []*service.Posted, ts string) *service.Posted {
	for _, p := range ps {
		if p.TS == ts {
			return p
		}
	}
	return nil
}

func withoutTS(ps []*service.Posted, ts string) []*service.Posted {
	var out []*service.Posted
	for _, p := range ps {
		if p.TS != ts {
			out = append(out, p)
		}
	}
	return out
}

// supersededBlockID marks the note on a superseded summary.
const supersededBlockID = "superseded"

// supersede marks an older summary as replaced by rec, with a link, and
// records it. The old figures stay below the note, for the record.
func (b *Bot) supersede(ctx context.Context, channel string, old, rec *service.Posted) {
	blocks := []slack.Block{slack.NewContextBlock(supersededBlockID, slack.NewTextBlockObject(slack.MarkdownType, supersededNote(rec.Period, rec.Link), false, false))}
	text := "Superseded by a later balance."
	if msg := b.message(ctx, channel, old.TS); msg != nil {
		for _, bl := range msg.Blocks.BlockSet {
			if bl.ID() != supersededBlockID && len(blocks) < 50 {
				blocks = append(blocks, bl)
			}
		}
		text += " " + msg.Text
	}
	err := b.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, channel, old.TS, slack.MsgOptionText(clipRunes(text, 3000), false), slack.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		b.log.Warn("cannot mark a summary superseded", "err", err.Error())
	}
	old.SupersededBy = rec.ID
	if err := b.cfg.Store.UpdateResult(context.WithoutCancel(ctx), old); err != nil {
		b.log.Warn("cannot record a summary superseded", "err", err.Error())
	}
}

// supersededNote heads a summary a later balance replaced.
func supersededNote(later rules.Period, link string) string {
	return fmt.Sprintf(":arrows_counterclockwise: *Superseded* by a later balance of %s: <%s|see the current one>. This one is kept for the record.",
		later.Short(), link)
}

// message reads one of the channel's messages as it is now, or nil.
func (b *Bot) message(ctx context.Context, channel, ts string) *slack.Message {
	var msgs []slack.Message
	err := b.call(ctx, "conversations.replies", func(ctx context.Context) error {
		var err error
		msgs, _, _, err = b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts, Limit: 1, Inclusive: true})
		return err
	})
	if err != nil {
		b.log.Warn("cannot read a summary posted", "err", err.Error())
		return nil
	}
	for i := range msgs {
		if msgs[i].Timestamp == ts {
			return &msgs[i]
		}
	}
	return nil
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// --- the thread ---------------------------------------------------------

// threadWork is a summary's thread to bring up to its balance.
type threadWork struct {
	rec   service.Posted
	res   *rules.Result
	items map[rules.ItemKey]*rules.Item
}

// threads is the per-channel thread writing: the latest work for each
// summary, and whether the channel's writer runs.
type threads struct {
	mu      sync.Mutex
	pending map[string]map[int64]*threadWork
	running map[string]bool
}

// writeThread hands a summary's thread to the channel's writer, replacing
// work for the same summary not yet begun: a writer behind by several
// balances writes the changes of all of them at once.
func (b *Bot) writeThread(channel string, w *threadWork) {
	t := &b.threads
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == nil {
		t.pending, t.running = map[string]map[int64]*threadWork{}, map[string]bool{}
	}
	if t.pending[channel] == nil {
		t.pending[channel] = map[int64]*threadWork{}
	}
	t.pending[channel][w.rec.ID] = w
	if t.running[channel] {
		return
	}
	t.running[channel] = true
	b.background(func(ctx context.Context) {
		for {
			// Not while the channel's shares keep coming.
			for d := b.quietFor(channel); d > 0; d = b.quietFor(channel) {
				select {
				case <-ctx.Done():
					t.mu.Lock()
					t.running[channel] = false
					delete(t.pending, channel)
					t.mu.Unlock()
					return
				case <-b.cfg.Clock.After(d):
				}
			}
			t.mu.Lock()
			var next *threadWork
			for id, w := range t.pending[channel] {
				if next == nil || id < next.rec.ID {
					next = w
				}
			}
			if next == nil {
				t.running[channel] = false
				t.mu.Unlock()
				return
			}
			delete(t.pending[channel], next.rec.ID)
			t.mu.Unlock()
			// One writer at a time across replicas, so the second reads
			// what the first wrote and posts only what is left.
			unlock := func() {}
			if cl, ok := b.cfg.Store.(ChannelLocker); ok {
				if u, err := cl.LockChannel(ctx, "thread "+channel); err == nil {
					unlock = u
				} else {
					b.log.Warn("cannot take the thread's lock in the store", "err", err.Error())
				}
			}
			b.postThread(ctx, channel, next)
			unlock()
		}
	})
}

// locationDigests are a digest of each location's balance (figures,
// differences and reasons), by rules.LocationKey: what changed is what
// differs from the digests the thread was last written with.
func locationDigests(res *rules.Result) map[string]string {
	out := make(map[string]string, len(res.Locations))
	for i := range res.Locations {
		h := fnv.New64a()
		json.NewEncoder(h).Encode(&res.Locations[i])
		out[rules.LocationKey(res.Locations[i].Location)] = strconv.FormatUint(h.Sum64(), 36)
	}
	return out
}

// postThread writes in a summary's thread what its balance changed since
// the thread was last written: everything, the first time.
func (b *Bot) postThread(ctx context.Context, channel string, w *threadWork) {
	rec, res := &w.rec, w.res
	if w.rec.ID != 0 {
		if stored, err := b.cfg.Store.Result(ctx, channel, w.rec.ID); err == nil && stored != nil {
			rec.Thread = stored.Thread
		}
	}
	digests := locationDigests(res)
	var changed []rules.Location
	added := 0
	for i := range res.Locations {
		k := rules.LocationKey(res.Locations[i].Location)
		old, ok := rec.Thread[k]
		if old != digests[k] {
			changed = append(changed, res.Locations[i])
			if !ok {
				added++
			}
		}
	}
	if len(changed) == 0 {
		return
	}
	first := len(rec.Thread) == 0
	m := func(part string) *mark {
		if rec.ID == 0 {
			return nil
		}
		return &mark{job: rec.ID, part: fmt.Sprintf("thread-%d-%s", rec.Revision, part), since: rec.At}
	}
	sub := *res
	sub.Locations = changed
	mismatches := 0
	for i := range changed {
		mismatches += len(changed[i].Mismatches)
	}
	ok := true
	if !first {
		head := updateHead(b.cfg.Clock.Now().In(b.cfg.TZ), added, len(changed)-added, mismatches > 0)
		if _, err := b.postMarked(ctx, m("head"), channel, rec.TS, head, nil, slack.SlackMetadata{}); err != nil {
			b.log.Warn("cannot post thread details", "err", err.Error())
			return
		}
	} else if mismatches == 0 {
		if _, err := b.postMarked(ctx, m("details"), channel, rec.TS, "Every visit matched: nothing to list.", nil, slack.SlackMetadata{}); err != nil {
			b.log.Warn("cannot post thread details", "err", err.Error())
			ok = false
		}
	}
	if mismatches > 0 {
		for i, d := range b.cfg.Render.Details(&sub, w.items, b.cfg.FullNames) {
			if _, err := b.postMarked(ctx, m(fmt.Sprintf("details-%d", i+1)), channel, rec.TS, d.Text, d.Blocks.BlockSet, slack.SlackMetadata{}); err != nil {
				b.log.Warn("cannot post thread details", "err", err.Error())
				ok = false
				break
			}
		}
	}
	suffix := ""
	if rec.Revision > 0 {
		suffix = "-update-" + strconv.Itoa(rec.Revision)
	}
	if hasMismatches(res) && (first || mismatches > 0 || len(changed) > added) {
		if err := b.uploadCSV(ctx, channel, rec.TS, res, m("csv"), b.cfg.FullNames, suffix); err != nil {
			b.log.Warn("cannot upload the mismatch CSV", "err", err.Error())
			b.postMarked(ctx, m("csv-failed"), channel, rec.TS, "The mismatch CSV could not be uploaded; run `/balance week` to try again.", nil, slack.SlackMetadata{})
			ok = false
		}
	}
	if len(res.Locations) > b.cfg.Render.MetadataLocations() {
		// The metadata carries the first locations only: every location's
		// figures go in the thread as a file.
		if err := b.uploadLocationsCSV(ctx, channel, rec.TS, res, m("locations-csv"), suffix); err != nil {
			b.log.Warn("cannot upload the locations CSV", "err", err.Error())
			ok = false
		}
	}
	if !ok || rec.ID == 0 {
		return
	}
	thread := map[string]string{}
	for k, v := range rec.Thread {
		thread[k] = v
	}
	for k, v := range digests {
		thread[k] = v
	}
	if err := b.cfg.Store.SaveThread(context.WithoutCancel(ctx), channel, rec.ID, thread); err != nil {
		b.log.Warn("cannot record what the thread shows", "err", err.Error())
	}
}

// updateHead opens what an update of a summary posts in its thread.
func updateHead(at time.Time, added, changed int, mismatches bool) string {
	head := fmt.Sprintf(":arrows_counterclockwise: *Updated* at %s: %s. The summary above is current; ",
		at.Format("3:04 PM"), changeCounts(added, changed))
	if !mismatches {
		return head + "every visit at these locations matched."
	}
	return head + "below are the differences at these locations, and the full list as CSV."
}

// changeCounts says how many locations are new and how many changed.
func changeCounts(added, changed int) string {
	var parts []string
	if added > 0 {
		parts = append(parts, fmt.Sprintf("%d more %s", added, plural(added, "location", "locations")))
	}
	if changed > 0 {
		parts = append(parts, fmt.Sprintf("%d %s changed", changed, plural(changed, "location", "locations")))
	}
	return strings.Join(parts, ", ")
}

func hasMismatches(res *rules.Result) bool {
	for i := range res.Locations {
		if len(res.Locations[i].Mismatches) > 0 {
			return true
		}
	}
	return false
}
