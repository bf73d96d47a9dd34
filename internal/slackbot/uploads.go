package slackbot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/sync/errgroup"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

// hints are what a user may write with an upload: "kind: claims_feed",
// "location: Downtown".
type hints struct {
	kind     rules.Kind
	location string
	problem  string
}

var hintRE = regexp.MustCompile(`(?i)\b(kind|report|location|clinic)\s*[:=]\s*([^\n,;]+)`)

func parseHints(text string) hints {
	var h hints
	for _, m := range hintRE.FindAllStringSubmatch(text, -1) {
		value := strings.TrimSpace(m[2])
		switch strings.ToLower(m[1]) {
		case "kind", "report":
			k, err := rules.ParseKind(value)
			if err != nil {
				h.problem = err.Error()
				continue
			}
			h.kind = k
		default:
			h.location = value
		}
	}
	return h
}

// handleShare reads the files of one message, keeps them, and balances what
// they make possible. Whatever happens to the files, the user gets an
// answer in the upload's thread. It returns an error only when that answer
// could not be given (Slack unreachable, shutdown): the job then stays
// pending and is resumed, reusing the replies it already posted.
func (b *Bot) handleShare(ctx context.Context, job *service.Job, s *share) error {
	b.sharing(s.Channel, 1)
	defer b.sharing(s.Channel, -1)
	lock := b.channelLock(s.Channel)
	b.queue(s.Channel, 1)
	lock.Lock()
	b.queue(s.Channel, -1)
	locked := true
	defer func() {
		if locked {
			// Files kept by shares that left their balance to this one
			// are balanced even when this one keeps none.
			b.flushBatch(ctx, s.Channel)
			lock.Unlock()
		}
	}()
	start := b.cfg.Clock.Now()
	job.Attempts++
	b.saveJob(ctx, job)

	if len(s.Files) == 0 {
		// Slack sent the share without its files: one answer, and done.
		if job.StatusTS == "" {
			ts, err := b.postMarked(ctx, jobMark(job, "status"), s.Channel, s.thread(), ":grey_question: This message came without any file I can see: Slack sent it without its files. Share the export again; if this keeps happening, upload the file on its own.", nil, slack.SlackMetadata{})
			if err != nil {
				return fmt.Errorf("answering a share without files: %w", err)
			}
			job.StatusTS = ts
			b.saveJob(ctx, job)
		}
		return nil
	}
	if job.StatusTS == "" {
		b.react(ctx, s.Channel, s.TS, "eyes")
		ts, err := b.postMarked(ctx, jobMark(job, "status"), s.Channel, s.thread(), fmt.Sprintf(":hourglass_flowing_sand: Reading %d %s…", len(s.Files), plural(len(s.Files), "file", "files")), nil, slack.SlackMetadata{})
		if err != nil {
			return fmt.Errorf("posting the progress reply: %w", err)
		}
		job.StatusTS = ts
		b.saveJob(ctx, job)
	}
	h := parseHints(s.Text)
	var files []fileResult
	var added []*service.Upload
	failed := 0
	for _, fe := range b.fetchAll(ctx, s.Files, h) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fr := b.keep(ctx, s, fe)
		files = append(files, fr)
		switch {
		case fr.Kept != nil:
			added = append(added, fr.Kept)
		case fr.Refused != nil:
			failed++
			b.Metrics.FileRefused()
		}
	}
	say := func(after ...string) error {
		return b.update(ctx, s.Channel, job.StatusTS, uploadReply(h.problem, files, after, b.cfg.TZ))
	}
	logDone := func(o outcome) {
		b.log.Info("upload handled", "event", s.EventID, "files", len(s.Files), "failed", failed,
			"balanced_locations", o.locations, "waiting", o.waiting, "ms", b.cfg.Clock.Now().Sub(start).Milliseconds())
	}
	if len(added) == 0 {
		if err := say(); err != nil {
			return fmt.Errorf("answering: %w", err)
		}
		b.react(ctx, s.Channel, s.TS, "x")
		logDone(outcome{})
		return nil
	}
	bt, part := b.joinBatch(s.Channel, added)
	var o outcome
	if b.waiting(s.Channel) > 0 {
		// Another share of this channel waits: it balances this one's
		// files with its own, so a group sharing its week in many
		// messages gets one balance for the lot, not one per message.
		b.log.Info("balance left to the next share", "event", s.EventID)
		locked = false
		lock.Unlock()
		select {
		case <-bt.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		o = bt.out[part]
	} else {
		if slowBalance(added) {
			// What each file was, before a balance that takes a while:
			// worth showing, not worth failing for; the answer repeats it.
			if err := say(); err != nil {
				b.log.Warn("cannot update the progress reply", "event", s.EventID, "err", err.Error())
			}
		}
		// A job resumed after a crash posts its answer again: each post
		// is looked for first (its mark), so what was posted is adopted
		// and only what is missing is posted.
		o = b.runBatch(ctx, s.Channel, &answer{job: job, posted: func(ts string) {
			job.ResultTS = ts
			b.saveJob(ctx, job)
		}}, part)
	}
	if o.err != nil {
		return o.err
	}
	if err := say(o.lines...); err != nil {
		return fmt.Errorf("answering: %w", err)
	}
	b.react(ctx, s.Channel, s.TS, o.reaction)
	logDone(o)
	return nil
}

// slowBalance reports whether balancing ups takes long enough to show
// the user what each file was first: past about a second.
func slowBalance(ups []*service.Upload) bool {
	rows := 0
	for _, u := range ups {
		if u.Report != nil {
			rows += u.Report.Rows
		}
	}
	return rows > 200_000
}

// batch is the files kept by the shares of a channel waiting for one
// balance: the last share to come balances them all, and done is closed
// with each share's outcome.
type batch struct {
	parts [][]*service.Upload // the files of each share, in order
	done  chan struct{}
	out   []outcome // each part's outcome, once done
}

// queue counts the shares of channel waiting for its lock.
func (b *Bot) queue(channel string, n int) {
	b.locksMu.Lock()
	defer b.locksMu.Unlock()
	b.queued[channel] += n
}

// sharing counts a share of channel starting (1) or ending (-1).
func (b *Bot) sharing(channel string, n int) {
	b.locksMu.Lock()
	defer b.locksMu.Unlock()
	b.active[channel] += n
	b.lastShare[channel] = b.cfg.Clock.Now()
}

// quietFor returns how long until channel has gone ThreadQuiet without a
// share: zero when it has.
func (b *Bot) quietFor(channel string) time.Duration {
	b.locksMu.Lock()
	defer b.locksMu.Unlock()
	if b.cfg.ThreadQuiet <= 0 {
		return 0
	}
	if b.active[channel] > 0 {
		return b.cfg.ThreadQuiet
	}
	return max(0, b.cfg.ThreadQuiet-b.cfg.Clock.Now().Sub(b.lastShare[channel]))
}

// waiting returns how many shares of channel wait for its lock.
func (b *Bot) waiting(channel string) int {
	b.locksMu.Lock()
	defer b.locksMu.Unlock()
	return b.queued[channel]
}

// joinBatch adds a share's files kept to the channel's open batch, and
// returns the batch and the share's part in it.
func (b *Bot) joinBatch(channel string, added []*service.Upload) (*batch, int) {
	b.locksMu.Lock()
	defer b.locksMu.Unlock()
	bt := b.batches[channel]
	if bt == nil {
		bt = &batch{done: make(chan struct{})}
		b.batches[channel] = bt
	}
	bt.parts = append(bt.parts, added)
	return bt, len(bt.parts) - 1
}

// runBatch balances the channel's open batch, under the channel's lock,
// and gives every share in it its outcome. Files of overlapping dates are
// balanced together; two weeks shared in one batch get a balance each.
// a is the share that runs it, whose outcome is returned: the part given.
func (b *Bot) runBatch(ctx context.Context, channel string, a *answer, part int) outcome {
	b.locksMu.Lock()
	bt := b.batches[channel]
	delete(b.batches, channel)
	b.locksMu.Unlock()
	if bt == nil {
		return outcome{}
	}
	// Group the parts whose periods overlap, transitively: in order of
	// their first date, a part joins the group before it when it starts
	// before that group ends.
	spans := make([]rules.Period, len(bt.parts))
	order := make([]int, len(bt.parts))
	for i, ups := range bt.parts {
		order[i] = i
		for _, u := range ups {
			spans[i] = spans[i].Union(u.Period())
		}
	}
	sort.SliceStable(order, func(x, y int) bool { return spans[order[x]].From < spans[order[y]].From })
	group := make([]int, len(bt.parts))
	var end rules.Date
	for n, i := range order {
		if n == 0 || spans[i].From > end {
			group[i], end = i, spans[i].To
		} else {
			group[i], end = group[order[n-1]], max(end, spans[i].To)
		}
	}
	results := map[int]outcome{}
	for g := range bt.parts {
		var ups []*service.Upload
		mine := false
		for i, gi := range group {
			if gi == g {
				ups = append(ups, bt.parts[i]...)
				mine = mine || i == part
			}
		}
		if len(ups) == 0 {
			continue
		}
		ans := a
		if !mine {
			ans = nil // the runner's marks are for its own balance
		}
		results[g] = b.balanceAfter(ctx, channel, ups, ans)
	}
	bt.out = make([]outcome, len(bt.parts))
	for i := range bt.parts {
		bt.out[i] = results[group[i]]
	}
	close(bt.done)
	if part < 0 {
		return outcome{}
	}
	return bt.out[part]
}

// flushBatch balances a batch left open by shares that waited for one
// that then kept no file, unless another share still waits to.
func (b *Bot) flushBatch(ctx context.Context, channel string) {
	b.locksMu.Lock()
	open := b.batches[channel] != nil && b.queued[channel] == 0
	b.locksMu.Unlock()
	if open {
		b.runBatch(ctx, channel, nil, -1)
	}
}

func (b *Bot) saveJob(ctx context.Context, job *service.Job) {
	if job.ID == 0 {
		return
	}
	if err := b.cfg.Store.UpdateJob(context.WithoutCancel(ctx), job); err != nil {
		b.log.Warn("cannot record an upload's progress", "event", job.EventID, "err", err.Error())
	}
}

// fetched is one shared file downloaded and read, not yet kept.
type fetched struct {
	f    slack.File
	name string
	rep  *engine.Report
	hash string
	// refused, when set, says why the file was not taken.
	refused *refusal
}

// fileResult is what became of one shared file: kept, the same as a file
// the channel already holds, or refused.
type fileResult struct {
	Name string
	// Kept is the upload stored for the file (by this attempt or an
	// earlier one at the same message).
	Kept *service.Upload
	// Same is the earlier upload of the same content, when the file was
	// already held: it counts once.
	Same    *service.Upload
	Refused *refusal
}

// refusal is why a file was not taken.
type refusal struct {
	Reason refusalReason
	// Err is the reader's error for an unreadable file (its message is
	// for the user: it names the row and says how to fix it), or the
	// download's error.
	Err error
	// TooLarge is set for a file over the size limit.
	TooLarge *errTooLarge
}

type refusalReason int

const (
	refusedUnreadable refusalReason = iota
	refusedTooLarge
	refusedDownload
	refusedStorage
)

// fetchAll downloads and reads the files of a share two at a time (the
// usual pair, EMR and billing, on two cores; not more, so a share of many
// large files does not hold them all in memory at once), and returns them
// in the order shared.
func (b *Bot) fetchAll(ctx context.Context, files []slack.File, h hints) []fetched {
	out := make([]fetched, len(files))
	var g errgroup.Group
	g.SetLimit(max(1, min(runtime.GOMAXPROCS(0), 2)))
	for i, f := range files {
		g.Go(func() error {
			out[i] = b.fetch(ctx, f, h)
			return nil
		})
	}
	g.Wait()
	return out
}

// fetch downloads and reads one file.
func (b *Bot) fetch(ctx context.Context, f slack.File, h hints) fetched {
	name := f.Name
	if name == "" {
		name = f.Title
	}
	if name == "" {
		name = f.ID
	}
	out := fetched{f: f, name: name}
	data, sum, err := b.download(ctx, f)
	if err != nil {
		if tl, ok := errors.AsType[errTooLarge](err); ok {
			out.refused = &refusal{Reason: refusedTooLarge, TooLarge: &tl}
			return out
		}
		b.log.Warn("download failed", "file", f.ID, "err", err.Error())
		out.refused = &refusal{Reason: refusedDownload, Err: err}
		return out
	}
	rep, err := b.cfg.Service.Read(name, bytes.NewReader(data), service.Hint{Kind: h.kind, Location: h.location})
	if err != nil {
		b.log.Info("file refused", "file", f.ID, "code", rules.ErrorCode(err))
		out.refused = &refusal{Reason: refusedUnreadable, Err: err}
		return out
	}
	out.rep, out.hash = rep, sum
	return out
}

// keep stores a fetched file, in the order shared (the first of two copies
// of one file is the one kept), and says what became of it.
func (b *Bot) keep(ctx context.Context, s *share, fe fetched) fileResult {
	out := fileResult{Name: fe.name, Refused: fe.refused}
	if fe.refused != nil {
		return out
	}
	f, rep := fe.f, fe.rep
	up := &service.Upload{Channel: s.Channel, FileID: f.ID, FileName: fe.name, User: s.User, MessageTS: s.TS,
		Hash: fe.hash, Report: rep}
	earlier, err := b.cfg.Service.Keep(ctx, up, b.cfg.Clock.Now())
	switch {
	case err != nil:
		b.log.Error("cannot store an upload", "file", f.ID, "err", err.Error())
		out.Refused = &refusal{Reason: refusedStorage, Err: err}
	case earlier != nil && earlier.MessageTS == s.TS && earlier.FileID == f.ID:
		// Kept by an earlier attempt at this very message, before a crash.
		out.Kept = earlier
	case earlier != nil:
		out.Same = earlier
	default:
		b.log.Info("file read", "file", f.ID, "kind", string(rep.Kind), "rows", rep.Rows, "visits", rep.VisitCount())
		b.Metrics.FileRead(string(rep.Kind))
		out.Kept = up
	}
	return out
}

// uploadReply renders the reply in an upload's thread: a problem with the
// message's hints, a line for each file, then what came after (the
// balance, what is still needed). tz is the practice's time zone.
func uploadReply(hintProblem string, files []fileResult, after []string, tz *time.Location) string {
	var lines []string
	if hintProblem != "" {
		lines = append(lines, ":warning: "+esc(hintProblem))
	}
	for _, f := range files {
		lines = append(lines, fileLine(f, tz))
	}
	return strings.Join(append(lines, after...), "\n")
}

// fileLine says what became of one file.
func fileLine(f fileResult, tz *time.Location) string {
	switch {
	case f.Kept != nil:
		return ":white_check_mark: " + describe(f.Kept)
	case f.Same != nil:
		return fmt.Sprintf(":repeat: *%s*: the same file as *%s*, shared %s by <@%s>; it counts once.",
			esc(f.Name), esc(f.Same.FileName), f.Same.At.In(tz).Format("Mon Jan 2 at 3:04 PM"), f.Same.User)
	case f.Refused != nil:
		return fmt.Sprintf(":x: *%s*: %s", esc(f.Name), esc(refusalText(f.Name, f.Refused)))
	}
	return ""
}

// refusalText says why a file was refused and what to do.
func refusalText(name string, r *refusal) string {
	switch r.Reason {
	case refusedTooLarge:
		return r.TooLarge.Error()
	case refusedDownload:
		return "Slack would not let me download it (" + shortErr(r.Err) + "). Share it again in a minute; if that fails, check the bot is still in this channel."
	case refusedStorage:
		return "balancebot could not keep it (a storage fault on our side). Share it again; if that fails, tell whoever runs balancebot."
	}
	// The status line names the file already.
	msg := strings.TrimPrefix(strings.TrimPrefix(rules.SafeMessage(r.Err), name+": "), name+", ")
	return msg + fixText(rules.ErrorFix(r.Err))
}

// fixText says how to tell the bot what mends an error, in Slack.
func fixText(f rules.Fix) string {
	switch f {
	case rules.FixKind:
		return " Share the file again with `kind: KIND` in the message."
	case rules.FixLocation:
		return " Share the file again with `location: NAME` in the message."
	case rules.FixPeriod:
		return " Ask for the dates to balance with `/balance week DATE` or `/balance day DATE`."
	}
	return ""
}

// describe says what an upload is: "*emr.csv*: EMR Billing Report ·
// Downtown · Mon 11/16 – Fri 11/20 · 45 visits".
func describe(u *service.Upload) string {
	r := u.Report
	parts := []string{r.Kind.Title()}
	if locs := r.Locations(); len(locs) > 0 {
		if len(locs) > 3 {
			locs = append(locs[:3], fmt.Sprintf("%d more", len(locs)-3))
		}
		parts = append(parts, esc(strings.Join(locs, ", ")))
	} else {
		parts = append(parts, "no location named")
	}
	parts = append(parts, u.Period().Short())
	n := r.VisitCount()
	switch {
	case r.Kind == rules.KindInsuranceClassSummary:
		var np float64
		for _, v := range r.NewPatients {
			np += v
		}
		parts = append(parts, num(np)+" new patients")
	case r.Kind.Role() == rules.RoleCheck:
		parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, "item", "items")))
	default:
		parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, "visit", "visits")))
	}
	return fmt.Sprintf("*%s*: %s", esc(u.FileName), strings.Join(parts, " · "))
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// outcome is what a balance attempt led to, for the status message.
type outcome struct {
	lines     []string
	reaction  string
	locations int
	waiting   int
	// err is set when the result could not be posted for a reason that may
	// pass (Slack unreachable, shutdown): worth trying again.
	err error
	// notInChannel is set when Slack refused the post because the bot is
	// not in the channel.
	notInChannel bool
}

// balanceAfter balances the dates the new uploads cover, with everything
// the channel holds for them, posting a result for each location both
// sides now cover and saying what is still needed for the others.
func (b *Bot) balanceAfter(ctx context.Context, channel string, added []*service.Upload, a *answer) outcome {
	bal, err := b.cfg.Service.BalanceNew(ctx, channel, added)
	if err != nil {
		b.log.Error("cannot read stored uploads", "err", err.Error())
		return outcome{lines: []string{":x: balancebot could not read what was uploaded before (a storage fault on our side). Try `/balance week` in a minute."}, reaction: "x"}
	}
	return b.postBalance(ctx, channel, bal, a)
}

// postBalance posts a balance and says what it led to; it is shared by
// uploads and /balance.
func (b *Bot) postBalance(ctx context.Context, channel string, bal *service.Balance, a *answer) outcome {
	res, err := bal.Result, bal.Err
	if err != nil {
		return outcome{lines: []string{":x: " + esc(rules.SafeMessage(err)+fixText(rules.ErrorFix(err)))}, reaction: "x"}
	}
	var o outcome
	o.waiting = len(res.Waiting)
	o.locations = len(res.Locations)
	if len(res.Locations) > 0 {
		link, err := b.postResult(ctx, channel, res, a)
		if err != nil {
			b.log.Error("cannot post the balance", "err", err.Error())
			if ctx.Err() != nil || isNetErr(err) || isServerErr(err) {
				o.err = fmt.Errorf("posting the balance: %w", err)
				return o
			}
			if isNotInChannel(err) {
				o.notInChannel = true
				o.lines = append(o.lines, ":x: "+notInChannel)
			} else {
				o.lines = append(o.lines, ":x: The balance was computed but Slack would not take the message. Try `/balance week` in a minute.")
			}
			o.reaction = "x"
			return o
		}
		b.Metrics.Balance(res.Balanced)
		verdict := "balanced"
		o.reaction = "white_check_mark"
		if !res.Balanced {
			verdict = "not balanced"
			o.reaction = "warning"
		}
		o.lines = append(o.lines, fmt.Sprintf(":bar_chart: %s, %s: <%s|see the balance>.", strings.ToUpper(verdict[:1])+verdict[1:], res.Period().Short(), link))
	} else {
		o.reaction = "hourglass_flowing_sand"
	}
	for _, w := range res.Waiting {
		o.lines = append(o.lines, stillNeeded(w))
	}
	return o
}

// stillNeeded says which export is missing for a location, or, when the
// other side has locations that pair with none, that it may be there under
// another name.
func stillNeeded(w rules.Waiting) string {
	if len(w.OtherNames) > 0 {
		return otherNames(w)
	}
	where := "this location"
	if w.Location != "" {
		where = "*" + esc(w.Location) + "*"
	}
	dates := (rules.Period{From: w.From, To: w.To}).Short()
	if w.Missing == rules.SideBilling {
		return fmt.Sprintf(":hourglass_flowing_sand: Still needed for %s, %s: the billing side, the *Charge Audit Summary* (%s). Drop it here and I will balance.",
			where, dates, esc(rules.KindChargeAuditSummary.HowToPull()))
	}
	return fmt.Sprintf(":hourglass_flowing_sand: Still needed for %s, %s: the EMR side, the *EMR Billing Report* for SOAP 1.0 clinics (%s) or the *Documented Visits* report for SOAP 2.0 (%s). Drop it here and I will balance.",
		where, dates, esc(rules.KindEMRBillingReport.HowToPull()), esc(rules.KindDocumentedVisits.HowToPull()))
}

// otherNames says that the export a location waits for may be here under
// another name, and how to map it.
func otherNames(w rules.Waiting) string {
	side, other := "billing", "EMR"
	if w.Missing == rules.SideEMR {
		side, other = "EMR", "billing"
	}
	names := make([]string, len(w.OtherNames))
	for i, n := range w.OtherNames {
		names[i] = "*" + esc(n) + "*"
	}
	here := w.Location
	if here == "" {
		here = "LOCATION"
	}
	// The map takes billing's name to the EMR's.
	from, to := w.OtherNames[0], here
	if w.Missing == rules.SideEMR {
		from, to = here, w.OtherNames[0]
	}
	return fmt.Sprintf(":twisted_rightwards_arrows: Still needed for *%s*: its %s side. The %s exports here name %s, which the %s exports do not: if one is *%s* named another way, map it with `/balance location \"%s\" = %s` and balance again.",
		esc(here), side, side, strings.Join(names, ", "), other, esc(here), esc(from), esc(to))
}

// answer is the job a balance is posted for, if any: its posts carry the
// job's mark (see mark), and posted records the summary's ts as soon as
// it is posted.
type answer struct {
	job    *service.Job
	posted func(ts string)
}

// mark is the mark of part of the answer; nil without a job.
func (a *answer) mark(part string) *mark {
	if a == nil {
		return nil
	}
	return jobMark(a.job, part)
}

// reevaluate applies the balance to the channel's open items and keeps
// them (workflow.md), and returns what it did per location and the item
// of each mismatch that is one (by its key). It is safe to
// run twice for one balance, as a resumed job does: the second run changes
// nothing. On a store failure the balance is still posted, without the
// open items, and the failure logged: the next balance re-evaluates them.
func (b *Bot) reevaluate(ctx context.Context, channel string, res *rules.Result) ([]rules.LocationItems, map[rules.ItemKey]*rules.Item) {
	ctx = context.WithoutCancel(ctx)
	locs := make([]string, len(res.Locations))
	for i := range res.Locations {
		locs[i] = res.Locations[i].Location
	}
	if len(locs) == 0 {
		return nil, nil
	}
	items, err := b.cfg.Store.Items(ctx, channel, locs...)
	if err != nil {
		b.log.Warn("cannot read the open items", "err", err.Error())
		return nil, nil
	}
	now := b.cfg.Clock.Now()
	re := rules.Reevaluate(items, rules.Balance{By: "balance " + res.Period().String(), At: now,
		Day: rules.DateOfTime(now.In(b.cfg.TZ)), Result: res, Owners: b.cfg.Owners})
	if err := b.cfg.Store.SaveItems(ctx, channel, re.Changed); err != nil {
		b.log.Warn("cannot keep the open items", "err", err.Error())
		return nil, nil
	}
	return re.Locations, re.ByKey
}

// uploadCSV shares the mismatch CSV; suffix tells an update's apart.
func (b *Bot) uploadCSV(ctx context.Context, channel, thread string, res *rules.Result, m *mark, full bool, suffix string) error {
	var buf bytes.Buffer
	if err := b.cfg.Render.CSV(&buf, res, full); err != nil {
		return err
	}
	name := "balance"
	if len(res.Locations) == 1 && res.Locations[0].Location != "" {
		name += "-" + strings.ToLower(strings.Join(strings.Fields(rules.LocationKey(res.Locations[0].Location)), "-"))
	}
	name += "-" + res.From.String() + "-to-" + res.To.String() + suffix + ".csv"
	title := fmt.Sprintf("Visits on one side only, %s", res.Period().Short())
	return b.uploadFile(ctx, channel, thread, name, title, buf.Bytes(), m)
}

// uploadLocationsCSV shares every location's figures in the thread, for a
// group with more locations than the summary's metadata carries.
func (b *Bot) uploadLocationsCSV(ctx context.Context, channel, thread string, res *rules.Result, m *mark, suffix string) error {
	var buf bytes.Buffer
	if err := b.cfg.Render.LocationsCSV(&buf, res); err != nil {
		return err
	}
	name := "balance-locations-" + res.From.String() + "-to-" + res.To.String() + suffix + ".csv"
	title := fmt.Sprintf("Every location's figures, %s", res.Period().Short())
	return b.uploadFile(ctx, channel, thread, name, title, buf.Bytes(), m)
}

// uploadFile shares a file in a thread (or a channel, with thread "").
func (b *Bot) uploadFile(ctx context.Context, channel, thread, name, title string, content []byte, m *mark) error {
	tries := 0
	return b.callIn(ctx, "files.upload", channel, func(ctx context.Context) error {
		tries++
		// A file has no metadata: after a lost answer, or in a resumed
		// job, the thread is looked at for the file by its name.
		if m != nil && (tries > 1 || m.lookFirst) && b.threadHasFile(ctx, channel, thread, name) {
			b.log.Info("a file already shared was found", "job", m.job)
			return nil
		}
		_, err := b.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader: bytes.NewReader(content), FileSize: len(content), Filename: name, Title: title,
			Channel: channel, ThreadTimestamp: thread,
		})
		return err
	})
}

// threadHasFile reports whether a file called name is shared in thread.
func (b *Bot) threadHasFile(ctx context.Context, channel, thread, name string) bool {
	if b.pacer.wait(ctx, "conversations.replies", "") != nil {
		return false
	}
	msgs, _, _, err := b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: thread, Limit: 200})
	if err != nil {
		b.log.Warn("cannot look for a file already shared", "err", err.Error())
		return false
	}
	for _, msg := range msgs {
		for _, f := range msg.Files {
			if f.Name == name {
				return true
			}
		}
	}
	return false
}
