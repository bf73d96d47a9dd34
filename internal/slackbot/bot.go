// Package slackbot is the Slack adapter: a Socket Mode bot that takes the
// exports users drop into a channel, balances them, and replies with a
// Block Kit summary, threaded details and the mismatch list as a CSV. It
// speaks to the rest of balancebot only through domain types: the store is
// a service.UploadStore and reading is a Reader.
package slackbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/balancebot/balancebot/internal/clock"
	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

// Config is what the bot needs.
type Config struct {
	BotToken string
	AppToken string
	// APIURL is Slack's Web API base, with its trailing slash.
	APIURL string
	// Channels limits the bot to these channel ids; empty means every
	// channel it has been invited to.
	Channels []string
	// FullNames shows patient names in Slack instead of initials.
	FullNames bool
	// PHIUsers (Slack user ids) and the members of PHIUsergroup may see
	// patient data: Show names answers them privately, and refuses
	// anyone else.
	PHIUsers     []string
	PHIUsergroup string
	// Owners maps a location (rules.LocationKey) to its clinic owners'
	// Slack user ids: mentioned on their unbalanced locations, and
	// assigned new items by default.
	Owners map[string][]string
	// MaxFileBytes refuses larger uploads before downloading them.
	MaxFileBytes int64
	// TZ is the practice's time zone, for "this week" and reminders.
	TZ *time.Location

	// Service reads, keeps and balances the exports shared; Store keeps
	// what is the bot's own: the jobs it acknowledged, the balances it
	// posted, the reminders it sent.
	Service *service.Service
	Store   Store
	// Render turns a balance into Slack messages and the mismatch CSV.
	Render Renderer
	// SOAPVersion is the practice's ("1.0", "2.0", or "" for both), for
	// checklists and for naming the EMR export to pull.
	SOAPVersion string
	Log         *slog.Logger
	// Clock tells the time and waits: for retries and backoff, the resume
	// interval and the shutdown grace (tests move a fake one).
	Clock clock.Clock
	// PingInterval is Socket Mode's ping watchdog (tests shorten it).
	PingInterval time.Duration
	// MaxRetryWait caps how long one rate-limit or failure wait may be.
	MaxRetryWait time.Duration
	// DownloadTimeout limits one download attempt; CallTimeout one Web
	// API call's.
	DownloadTimeout time.Duration
	CallTimeout     time.Duration
	// DrainTimeout is how long shutdown waits for work in flight; what is
	// not done by then stays recorded and resumes on the next start.
	DrainTimeout time.Duration
	// UpdateWindow is how long after a summary was posted or last
	// updated a balance that replaces it updates it in place; past it,
	// a new summary is posted and the old one marked superseded.
	UpdateWindow time.Duration
	// ThreadQuiet is how long a channel must go without a share before
	// a summary's thread is written: a group sharing its week in many
	// messages gets the thread once, after the last, not a part after
	// each. Zero writes at once.
	ThreadQuiet time.Duration
	// Replica names this process among replicas sharing a store; Lease
	// is how long a job it handles stays its without a renewal. A job
	// whose holder died is resumed by another replica once its lease
	// runs out (the resumer looks every half lease).
	Replica string
	Lease   time.Duration
	// Pace keeps the bot's calls under Slack's rate limits (SlackPace);
	// the zero Pace does not pace.
	Pace Pace
}

// Renderer renders a balance for Slack: the summary for the channel, the
// details for its thread, and the mismatch CSV. full shows patient names
// instead of initials and the last digits of an id.
type Renderer interface {
	Summary(res *rules.Result, ledger []rules.LocationItems, full bool) slack.Msg
	// OpenItems lists the open items of items (at location where, or all
	// when ""), for /balance open.
	OpenItems(items []*rules.Item, where string, today rules.Date, full bool) string
	// ItemLine is one open item on one line: age, side, date, patient,
	// reason, state and assignee.
	ItemLine(it *rules.Item, today rules.Date, full bool) string
	// Details lists the mismatches for the thread; those that are items
	// (by their key) carry the item's state and buttons.
	Details(res *rules.Result, items map[rules.ItemKey]*rules.Item, full bool) []slack.Msg
	// ItemBlocks renders one item as the thread shows it: its line
	// (block_id "item:ID") and, while open, its actions.
	ItemBlocks(it *rules.Item, full bool) []slack.Block
	// DismissModal asks for a dismissal's note (callback_id item_dismiss);
	// private comes back on submit.
	DismissModal(it *rules.Item, full bool, private string) slack.ModalViewRequest
	CSV(w io.Writer, res *rules.Result, full bool) error
	// LocationsCSV writes each location's figures; MetadataLocations is
	// how many the summary's metadata carries, past which the thread gets
	// that file too.
	LocationsCSV(w io.Writer, res *rules.Result) error
	MetadataLocations() int
}

// Events are the bot events the bot handles (message events of subtype
// file_share, in public and private channels); Commands its slash
// commands. The manifest must declare both.
var (
	Events   = []string{"message.channels", "message.groups", "app_home_opened"}
	Commands = []string{"/balance"}
)

// Store is what the bot keeps of its own: the jobs it has acknowledged,
// the balances it posted and the open items. Uploads are the service's.
type Store interface {
	service.ResultStore
	service.JobStore
	service.ItemStore
}

// Bot is the Slack bot.
type Bot struct {
	cfg     Config
	api     *slack.Client
	sm      *socketmode.Client
	log     *slog.Logger
	botUser string
	botID   string

	connected atomic.Bool
	work      sync.WaitGroup
	busy      atomic.Int64 // work in flight, for Idle
	locksMu   sync.Mutex
	locks     map[string]*chanLock
	// queued counts the shares waiting for each channel's lock; batches
	// holds each channel's files kept and waiting for one balance.
	queued  map[string]int
	batches map[string]*batch
	// active counts each channel's shares being handled, and lastShare
	// is when one last ended, for ThreadQuiet.
	active    map[string]int
	lastShare map[string]time.Time
	allowed   map[string]bool
	// workCtx is the context of work in flight: it outlives the event loop
	// for DrainTimeout, then is cancelled.
	workCtx    context.Context
	workCancel context.CancelFunc
	// running holds the jobs being handled, so the resumer leaves them be.
	runMu   sync.Mutex
	running map[int64]bool
	// stopping is closed when the event loop stops.
	stopping chan struct{}
	pacer    *pacer
	threads  threads
	// Metrics, when set, counts what the bot does.
	Metrics Metrics
}

// New makes a bot; Run connects it.
func New(cfg Config) *Bot {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Replica == "" {
		cfg.Replica, _ = os.Hostname()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.TZ == nil {
		cfg.TZ = time.Local
	}
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = 100 << 20
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = 2 * time.Minute
	}
	if cfg.DownloadTimeout <= 0 {
		cfg.DownloadTimeout = 2 * time.Minute
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 25 * time.Second
	}
	opts := []slack.Option{slack.OptionAppLevelToken(cfg.AppToken)}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	api := slack.New(cfg.BotToken, opts...)
	var smOpts []socketmode.Option
	if cfg.PingInterval > 0 {
		smOpts = append(smOpts, socketmode.OptionPingInterval(cfg.PingInterval))
	}
	smOpts = append(smOpts, socketmode.OptionLog(slogAdapter{cfg.Log}))
	b := &Bot{
		cfg: cfg, api: api, sm: socketmode.New(api, smOpts...), log: cfg.Log,
		locks: map[string]*chanLock{}, queued: map[string]int{}, batches: map[string]*batch{},
		active: map[string]int{}, lastShare: map[string]time.Time{}, allowed: map[string]bool{}, running: map[int64]bool{},
		Metrics: nopMetrics{}, pacer: newPacer(cfg.Clock, cfg.Pace),
	}
	b.workCtx, b.workCancel = context.WithCancel(context.Background())
	for _, c := range cfg.Channels {
		b.allowed[c] = true
	}
	return b
}

// slogAdapter lets socketmode log through slog, at debug level: its lines
// may carry payloads, which must not reach the log at normal levels.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Output(_ int, s string) error {
	a.l.Debug("socketmode", "msg", strings.TrimSpace(s))
	return nil
}

// Idle reports whether the bot has no work in flight. Work an event
// starts is counted before the event is acknowledged, so once Slack has
// every ack and the bot is idle, nothing more happens until Slack sends
// something.
func (b *Bot) Idle() bool { return b.busy.Load() == 0 }

// Replica returns the name this replica holds leases under.
func (b *Bot) Replica() string { return b.cfg.Replica }

// Ready reports whether the bot is connected to Slack.
func (b *Bot) Ready() bool { return b.connected.Load() }

// API is the Web API client, for the other front ends (the scheduler) to
// post with.
func (b *Bot) API() *slack.Client { return b.api }

// Run connects to Slack and handles events until ctx ends, then waits for
// the work in flight.
func (b *Bot) Run(ctx context.Context) error {
	auth, err := b.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("cannot sign in to Slack with SLACK_BOT_TOKEN: %w", err)
	}
	b.botUser, b.botID = auth.UserID, auth.BotID
	b.log.Info("signed in to Slack", "team", auth.TeamID, "bot_user", b.botUser)

	runErr := make(chan error, 1)
	go func() { runErr <- b.sm.RunContext(ctx) }()
	defer b.drain()
	// The resume loop runs as long as the bot: shutdown waits for it, but
	// it is not work in flight (Idle); the jobs it resumes are.
	b.goWork(func(ctx context.Context) { b.resume(ctx, ctx.Done()) })
	for {
		select {
		case <-ctx.Done():
			b.connected.Store(false)
			return nil
		case err := <-runErr:
			b.connected.Store(false)
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("Socket Mode stopped (check SLACK_APP_TOKEN and that Socket Mode is on): %w", err)
		case evt := <-b.sm.Events:
			b.dispatch(ctx, evt)
		}
	}
}

func (b *Bot) dispatch(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		b.connected.Store(true)
		if c, ok := evt.Data.(*socketmode.ConnectedEvent); ok && c.ConnectionCount > 0 {
			b.Metrics.Reconnect()
		}
		b.log.Info("connected to Slack")
	case socketmode.EventTypeConnecting:
		b.log.Debug("connecting to Slack")
	case socketmode.EventTypeConnectionError:
		b.connected.Store(false)
		b.log.Warn("connection to Slack failed; retrying")
	case socketmode.EventTypeInvalidAuth:
		b.connected.Store(false)
		b.log.Error("Slack refused SLACK_APP_TOKEN")
	case socketmode.EventTypeEventsAPI:
		// Acknowledge within Slack's seconds, always: it redelivers what is
		// not acked, and the work may take longer. An upload is recorded
		// first, so what Slack considers delivered is never lost.
		if evt.Request != nil {
			if api, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
				b.onEvent(evt.Request, api)
			}
			b.sm.Ack(*evt.Request)
		}
	case socketmode.EventTypeSlashCommand:
		if evt.Request != nil && !b.redelivered(evt.Request) {
			cmd, _ := evt.Data.(slack.SlashCommand)
			b.onSlash(ctx, evt.Request, cmd)
		}
	case socketmode.EventTypeInteractive:
		if evt.Request != nil && !b.redelivered(evt.Request) {
			cb, _ := evt.Data.(slack.InteractionCallback)
			b.onInteractive(ctx, evt.Request, cb)
		}
	case socketmode.EventTypeErrorBadMessage:
		// An envelope slack-go cannot parse, or of a type it does not
		// know, is acked all the same: Slack would send it again and
		// again. Its envelope id can still be read from the raw frame.
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
				b.sm.Ack(socketmode.Request{EnvelopeID: env.EnvelopeID})
				b.log.Warn("an envelope could not be read; acked", "envelope", env.EnvelopeID)
			}
		}
	}
}

// redelivered reports (and acks) an envelope seen before, by this replica
// or another: Slack redelivers one not acked in time, maybe to another
// connection. A store that cannot tell lets it through: better a second
// answer than none.
func (b *Bot) redelivered(req *socketmode.Request) bool {
	dup, err := b.cfg.Store.SeenEnvelope(context.Background(), req.EnvelopeID)
	if err != nil {
		b.log.Warn("cannot record an envelope", "envelope", req.EnvelopeID, "err", err.Error())
		return false
	}
	if dup {
		b.sm.Ack(*req)
		b.log.Info("duplicate delivery ignored", "envelope", req.EnvelopeID, "retry_attempt", req.RetryAttempt)
	}
	return dup
}

// share is a message that shared files.
type share struct {
	EventID  string
	Channel  string
	User     string
	Text     string
	TS       string
	ThreadTS string
	Files    []slack.File
}

// thread is where replies about the share go: its own thread.
func (s *share) thread() string {
	if s.ThreadTS != "" {
		return s.ThreadTS
	}
	return s.TS
}

func (b *Bot) onEvent(req *socketmode.Request, api slackevents.EventsAPIEvent) {
	if home, ok := api.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
		if home.Tab == "home" && home.User != "" {
			start := b.reserve()
			start(func(ctx context.Context) { b.publishHome(ctx, home.User) })
		}
		return
	}
	ev, ok := api.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || ev.SubType != "file_share" {
		return
	}
	eventID := ""
	if cb, ok := api.Data.(*slackevents.EventsAPICallbackEvent); ok {
		eventID = cb.EventID
	}
	var files []slack.File
	if ev.Message != nil {
		files = ev.Message.Files
	}
	if ev.User == b.botUser || (ev.BotID != "" && ev.BotID == b.botID) {
		return // our own CSV, shared back to us
	}
	if !b.channelAllowed(ev.Channel) {
		b.log.Info("upload in a channel not allowed; ignored", "channel", ev.Channel)
		return
	}
	key := eventID
	if key == "" {
		key = ev.Channel + "/" + ev.TimeStamp
	}
	s := &share{EventID: key, Channel: ev.Channel, User: ev.User, Text: ev.Text, TS: ev.TimeStamp, ThreadTS: ev.ThreadTimeStamp, Files: files}
	payload, _ := json.Marshal(s)
	now := b.cfg.Clock.Now()
	job := &service.Job{EventID: key, Channel: ev.Channel, Payload: payload, Created: now, Owner: b.cfg.Replica, LeaseUntil: now.Add(b.cfg.Lease)}
	dup, err := b.cfg.Store.AddJob(context.Background(), job)
	switch {
	case err != nil:
		// The upload is handled anyway; it just will not survive a crash.
		b.log.Error("cannot record an upload before handling it", "event", key, "err", err.Error())
	case dup:
		b.log.Info("duplicate delivery ignored", "event", key, "retry_attempt", req.RetryAttempt)
		return
	}
	b.log.Info("files shared", "event", key, "channel", s.Channel, "files", len(s.Files), "retry_attempt", req.RetryAttempt)
	b.Metrics.Upload(len(s.Files))
	b.runJob(job, s)
}

// runJob handles a recorded job in the background, unless it is running.
func (b *Bot) runJob(job *service.Job, s *share) {
	b.runMu.Lock()
	if job.ID != 0 && b.running[job.ID] {
		b.runMu.Unlock()
		return
	}
	b.running[job.ID] = true
	b.runMu.Unlock()
	if job.ID != 0 {
		// Another replica may hold it (it resumes it, or handles it now).
		ok, err := b.cfg.Store.ClaimJob(context.Background(), job.ID, b.cfg.Replica, b.cfg.Clock.Now().Add(b.cfg.Lease))
		if err != nil || !ok {
			if err != nil {
				b.log.Warn("cannot claim an upload", "event", job.EventID, "err", err.Error())
			}
			b.runMu.Lock()
			delete(b.running, job.ID)
			b.runMu.Unlock()
			return
		}
	}
	if crashes := job.Attempts - job.Ended; job.ID != 0 && crashes >= maxCrashes {
		// Its files took the process down each time: set aside, so that
		// nothing else in the channel waits on it, with a word to the user.
		b.background(func(ctx context.Context) {
			defer func() {
				b.runMu.Lock()
				delete(b.running, job.ID)
				b.runMu.Unlock()
			}()
			b.log.Error("setting an upload aside: it stopped the bot each time", "event", job.EventID, "attempts", job.Attempts)
			b.cfg.Store.FinishJob(context.WithoutCancel(ctx), job.ID, service.JobFailed)
			b.tellUser(ctx, job, s, fmt.Sprintf(":x: I could not process these files: reading them stopped balancebot %d times, so I have set them aside and the rest of this channel goes on. Check that each is the export it should be, export it again (as CSV if it was Excel, or for fewer dates), and share it again; if it happens again, tell whoever runs balancebot.", crashes))
		})
		return
	}
	b.background(func(ctx context.Context) {
		defer func() {
			b.runMu.Lock()
			delete(b.running, job.ID)
			b.runMu.Unlock()
		}()
		start := b.cfg.Clock.Now()
		release := b.holdLease(ctx, job)
		err := b.handleShare(ctx, job, s)
		release()
		b.Metrics.Processed(b.cfg.Clock.Now().Sub(start), err)
		if job.ID == 0 {
			return
		}
		ctxStore := context.WithoutCancel(ctx)
		if job.Attempts > job.Ended {
			// This attempt ended: only one that never does counts as a crash.
			job.Ended = job.Attempts
			b.saveJob(ctxStore, job)
		}
		switch {
		case err == nil:
			if err := b.cfg.Store.FinishJob(ctxStore, job.ID, service.JobDone); err != nil {
				b.log.Error("cannot mark an upload handled", "event", job.EventID, "err", err.Error())
			}
		case job.Attempts >= maxAttempts:
			b.log.Error("giving up on an upload", "event", job.EventID, "attempts", job.Attempts, "err", err.Error())
			b.cfg.Store.FinishJob(ctxStore, job.ID, service.JobFailed)
			b.giveUp(ctxStore, job, s)
		default:
			b.log.Warn("upload not finished; it will be resumed", "event", job.EventID, "attempt", job.Attempts, "err", err.Error())
			// Free for whoever resumes it first, this replica or another.
			if err := b.cfg.Store.ReleaseJob(ctxStore, job.ID, b.cfg.Replica); err != nil {
				b.log.Warn("cannot release an upload", "event", job.EventID, "err", err.Error())
			}
		}
	})
}

// maxCrashes is how many times an upload may take the process down before
// it is set aside.
const maxCrashes = 3

// maxAttempts is how many times an upload is tried before the user is told
// to share it again.
const maxAttempts = 5

// giveUp tells the user an upload could not be handled.
func (b *Bot) giveUp(ctx context.Context, job *service.Job, s *share) {
	b.tellUser(ctx, job, s, ":x: I could not finish reading these files: Slack kept failing me. Please share them again.")
}

// tellUser answers a job's message: in its progress reply when there is
// one, else in the message's thread.
func (b *Bot) tellUser(ctx context.Context, job *service.Job, s *share, text string) {
	var err error
	if job.StatusTS != "" {
		err = b.update(ctx, s.Channel, job.StatusTS, text)
	} else {
		_, err = b.postMarked(ctx, jobMark(job, "status"), s.Channel, s.thread(), text, nil, slack.SlackMetadata{})
	}
	if err != nil {
		b.log.Error("cannot tell the user an upload failed", "event", job.EventID, "err", err.Error())
	}
}

// resume handles the jobs left pending by a crash, a restart or a Slack
// outage: at start, and every two minutes until stop.
func (b *Bot) resume(ctx context.Context, stop <-chan struct{}) {
	for {
		jobs, err := b.cfg.Store.PendingJobs(ctx)
		if err != nil {
			b.log.Error("cannot read pending uploads", "err", err.Error())
		}
		for _, j := range jobs {
			var s share
			if err := json.Unmarshal(j.Payload, &s); err != nil {
				b.cfg.Store.FinishJob(ctx, j.ID, service.JobFailed)
				continue
			}
			b.log.Info("resuming an upload", "event", j.EventID, "attempts", j.Attempts)
			b.runJob(j, &s)
		}
		select {
		case <-stop:
			return
		case <-b.shutdown():
			return
		case <-b.cfg.Clock.After(b.resumeEvery()):
		}
	}
}

// resumeEvery is how often pending jobs are looked for: every half lease,
// so a dead replica's job is taken over within one and a half leases.
func (b *Bot) resumeEvery() time.Duration { return max(b.cfg.Lease/2, time.Second) }

// holdLease renews the job's lease while it is handled, and returns what
// stops renewing.
func (b *Bot) holdLease(ctx context.Context, job *service.Job) (stop func()) {
	if job.ID == 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-b.cfg.Clock.After(b.cfg.Lease / 3):
			}
			ok, err := b.cfg.Store.ClaimJob(context.WithoutCancel(ctx), job.ID, b.cfg.Replica, b.cfg.Clock.Now().Add(b.cfg.Lease))
			if err != nil || !ok {
				b.log.Warn("lost the lease on an upload being handled", "event", job.EventID)
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (b *Bot) channelAllowed(ch string) bool {
	return len(b.allowed) == 0 || b.allowed[ch]
}

// background runs fn in the background as work of the bot's: shutdown
// waits for it (or cancels its context after the grace), and Idle counts
// it.
func (b *Bot) background(fn func(context.Context)) { b.reserve()(fn) }

// reserve counts work now and returns what starts it, for work that must
// be counted before an ack and started after it.
func (b *Bot) reserve() (start func(fn func(context.Context))) {
	b.busy.Add(1)
	return func(fn func(context.Context)) {
		b.goWork(func(ctx context.Context) {
			defer b.busy.Add(-1)
			fn(ctx)
		})
	}
}

// goWork runs fn in a goroutine that shutdown waits for (cancelling its
// context after the grace), and logs a panic instead of dying of it.
func (b *Bot) goWork(fn func(context.Context)) {
	b.work.Add(1)
	go func() {
		defer b.work.Done()
		defer func() {
			if p := recover(); p != nil {
				b.log.Error("handler failed", "panic", fmt.Sprint(p))
			}
		}()
		fn(b.workCtx)
	}()
}

// stopping is closed when the event loop has stopped.
func (b *Bot) shutdown() <-chan struct{} {
	b.runMu.Lock()
	defer b.runMu.Unlock()
	if b.stopping == nil {
		b.stopping = make(chan struct{})
	}
	return b.stopping
}

// drain lets work in flight finish for DrainTimeout, then cancels it. What
// is cancelled stays pending in the store and resumes on the next start.
func (b *Bot) drain() {
	b.shutdown()
	b.runMu.Lock()
	select {
	case <-b.stopping:
	default:
		close(b.stopping)
	}
	b.runMu.Unlock()
	done := make(chan struct{})
	go func() { b.work.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-b.cfg.Clock.After(b.cfg.DrainTimeout):
		b.log.Warn("shutting down with work in flight; it resumes on the next start")
	}
	b.workCancel()
	<-done
}

// channelLock serialises the work of one channel, so two uploads arriving
// together are balanced one after the other, each seeing the other: in
// this process, and, when the store is shared (ChannelLocker), across
// replicas.
func (b *Bot) channelLock(ch string) *chanLock {
	b.locksMu.Lock()
	defer b.locksMu.Unlock()
	m := b.locks[ch]
	if m == nil {
		m = &chanLock{b: b, ch: ch}
		b.locks[ch] = m
	}
	return m
}

// ChannelLocker is a store that several replicas share: LockChannel
// holds a channel's lock across them until unlock is called (or the
// process dies).
type ChannelLocker interface {
	LockChannel(ctx context.Context, channel string) (unlock func(), err error)
}

// chanLock is a channel's lock: a mutex in the process, then the store's
// lock across replicas.
type chanLock struct {
	b        *Bot
	ch       string
	mu       sync.Mutex
	unlockDB func()
}

func (l *chanLock) Lock() {
	l.mu.Lock()
	if cl, ok := l.b.cfg.Store.(ChannelLocker); ok {
		unlock, err := cl.LockChannel(l.b.workCtx, l.ch)
		if err != nil {
			// Better a race between replicas than no answer.
			l.b.log.Warn("cannot take the channel's lock in the store", "err", err.Error())
			return
		}
		l.unlockDB = unlock
	}
}

func (l *chanLock) Unlock() {
	if l.unlockDB != nil {
		l.unlockDB()
		l.unlockDB = nil
	}
	l.mu.Unlock()
}

// --- calling Slack ------------------------------------------------------

// call runs a Web API call, waiting out rate limits (429) and retrying
// failures that may pass (network errors, 5xx) with backoff, a few times.
func (b *Bot) call(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	return b.callIn(ctx, what, "", fn)
}

// callIn is call for a call paced per channel: a post, or a file shared.
// Each attempt first waits for its slot under Slack's rate (Pace).
func (b *Bot) callIn(ctx context.Context, what, channel string, fn func(ctx context.Context) error) error {
	backoff := 500 * time.Millisecond
	var err error
	for attempt := 0; attempt < 6; attempt++ {
		if err := b.pacer.wait(ctx, what, channel); err != nil {
			return err
		}
		// Each attempt has its time: a call Slack never answers would
		// otherwise hold its channel's work for ever.
		actx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
		err = fn(actx)
		cancel()
		if err == nil {
			return nil
		}
		var wait time.Duration
		var rl *slack.RateLimitedError
		var sc slack.StatusCodeError
		switch {
		case errors.As(err, &rl):
			wait = max(rl.RetryAfter, time.Second)
			b.log.Info("rate limited by Slack; waiting", "call", what, "wait", wait)
		case errors.As(err, &sc) && sc.Code >= 500, isNetErr(err):
			wait = backoff
			backoff *= 2
			b.log.Warn("Slack call failed; retrying", "call", what, "attempt", attempt+1, "err", err.Error())
		default:
			b.Metrics.SlackError(what)
			return err
		}
		b.Metrics.SlackError(what)
		wait = min(wait, b.cfg.MaxRetryWait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.cfg.Clock.After(wait):
		}
	}
	return err
}

// isServerErr reports a 5xx answer from Slack.
func isServerErr(err error) bool {
	var sc slack.StatusCodeError
	return errors.As(err, &sc) && sc.Code >= 500
}

// isNotInChannel reports Slack refusing because the bot is not a member.
func isNotInChannel(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "not_in_channel") || strings.Contains(err.Error(), "channel_not_found"))
}

// notInChannel tells a user how to let the bot in.
const notInChannel = "I'm not in this channel yet, so I cannot post here. Type `/invite @balancebot` in the channel, then try again."

func isNetErr(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) || strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "connection refused")
}

// post sends a message (in thread, when set) and returns its ts.
func (b *Bot) post(ctx context.Context, channel, thread, text string, blocks []slack.Block, extra ...slack.MsgOption) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl()}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	opts = append(opts, extra...)
	var ts string
	err := b.callIn(ctx, "chat.postMessage", channel, func(ctx context.Context) error {
		var err error
		_, ts, err = b.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

// update replaces the text of a message the bot posted.
// mark says which job a post answers and which part of the answer it is,
// in the post's metadata, so a post whose outcome is unknown (its answer
// lost, or the job resumed after a crash) is looked for before it is made
// again: Slack has no idempotency key, and the channel must end with one of
// each.
type mark struct {
	job  int64
	part string
	// since is when the job was recorded: nothing older is looked at.
	since time.Time
	// lookFirst is set for a job resumed after an attempt that may have
	// posted it already.
	lookFirst bool
}

// jobMark is the mark of part of job's answer; nil for no job.
func jobMark(job *service.Job, part string) *mark {
	if job == nil || job.ID == 0 {
		return nil
	}
	return &mark{job: job.ID, part: part, since: job.Created, lookFirst: job.Attempts > 1}
}

// postMarked posts a message carrying m in its metadata (meta's payload,
// or a balancebot_post event of its own), and, before any second try and
// before the first one of a resumed job, looks for a post already made
// with m and adopts it. With no mark it posts as post does.
func (b *Bot) postMarked(ctx context.Context, m *mark, channel, thread, text string, blocks []slack.Block, meta slack.SlackMetadata) (string, error) {
	if m == nil {
		var extra []slack.MsgOption
		if meta.EventType != "" {
			extra = append(extra, slack.MsgOptionMetadata(meta))
		}
		return b.post(ctx, channel, thread, text, blocks, extra...)
	}
	if meta.EventType == "" {
		meta.EventType = "balancebot_post"
	}
	payload := maps.Clone(meta.EventPayload)
	if payload == nil {
		payload = map[string]any{}
	}
	payload["job"], payload["part"] = strconv.FormatInt(m.job, 10), m.part
	meta.EventPayload = payload
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionMetadata(meta)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	var ts string
	tries := 0
	err := b.callIn(ctx, "chat.postMessage", channel, func(ctx context.Context) error {
		tries++
		if tries > 1 || m.lookFirst {
			if found := b.find(ctx, channel, thread, m); found != "" {
				b.log.Info("a post already made was found and adopted", "job", m.job, "part", m.part)
				ts = found
				return nil
			}
		}
		var err error
		_, ts, err = b.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

// find looks for a post carrying m: in the channel since the job was
// recorded, or in thread. A lookup that fails finds nothing: posting again
// is better than no answer.
func (b *Bot) find(ctx context.Context, channel, thread string, m *mark) string {
	var msgs []slack.Message
	var err error
	method := "conversations.replies"
	if thread == "" {
		method = "conversations.history"
	}
	if b.pacer.wait(ctx, method, "") != nil {
		return ""
	}
	if thread == "" {
		var resp *slack.GetConversationHistoryResponse
		resp, err = b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel,
			Oldest: fmt.Sprintf("%d.000000", m.since.Add(-time.Minute).Unix()), Limit: 200, IncludeAllMetadata: true})
		if resp != nil {
			msgs = resp.Messages
		}
	} else {
		msgs, _, _, err = b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel,
			Timestamp: thread, Limit: 200, IncludeAllMetadata: true})
	}
	if err != nil {
		b.log.Warn("cannot look for a post already made", "job", m.job, "err", err.Error())
		return ""
	}
	job := strconv.FormatInt(m.job, 10)
	for _, msg := range msgs {
		if p := msg.Metadata.EventPayload; p != nil && fmt.Sprint(p["job"]) == job && fmt.Sprint(p["part"]) == m.part {
			return msg.Timestamp
		}
	}
	return ""
}

func (b *Bot) update(ctx context.Context, channel, ts, text string) error {
	return b.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl())
		return err
	})
}

// react adds an emoji reaction; failing to is not worth an error.
func (b *Bot) react(ctx context.Context, channel, ts, name string) {
	err := b.call(ctx, "reactions.add", func(ctx context.Context) error {
		return b.api.AddReactionContext(ctx, name, slack.NewRefToMessage(channel, ts))
	})
	if err != nil && !strings.Contains(err.Error(), "already_reacted") {
		b.log.Warn("cannot add a reaction", "err", err.Error())
	}
}

// ephemeral answers one user only.
func (b *Bot) ephemeral(ctx context.Context, channel, user, text string) {
	err := b.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := b.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		b.log.Warn("cannot post an ephemeral reply", "err", err.Error())
	}
}

// download fetches a shared file, refusing it when it is larger than the
// limit (before downloading, from its stated size, and while downloading).
// download fetches a file's bytes and their SHA-256, hashed as they arrive
// so that the hash waits on the network rather than after it.
func (b *Bot) download(ctx context.Context, f slack.File) ([]byte, string, error) {
	if f.URLPrivateDownload == "" || f.FileAccess == "check_file_info" {
		var info *slack.File
		err := b.call(ctx, "files.info", func(ctx context.Context) error {
			var err error
			info, _, _, err = b.api.GetFileInfoContext(ctx, f.ID, 0, 0)
			return err
		})
		if err != nil {
			return nil, "", fmt.Errorf("files.info: %w", err)
		}
		f = *info
	}
	if int64(f.Size) > b.cfg.MaxFileBytes {
		return nil, "", errTooLarge{size: int64(f.Size), limit: b.cfg.MaxFileBytes}
	}
	var data []byte
	var sum string
	err := b.call(ctx, "download", func(ctx context.Context) error {
		dctx, cancel := context.WithTimeout(ctx, b.cfg.DownloadTimeout)
		defer cancel()
		w := &limitWriter{limit: b.cfg.MaxFileBytes, hash: sha256.New()}
		if f.Size > 0 {
			// Sized once from what Slack states (at most the limit,
			// checked above): growing a 90 MB export by doubling cost
			// more than reading it, in copies and fresh pages.
			w.buf = make([]byte, 0, f.Size)
		}
		if err := b.api.GetFileContext(dctx, f.URLPrivateDownload, w); err != nil {
			if w.over {
				return errTooLarge{size: w.n, limit: b.cfg.MaxFileBytes}
			}
			return err
		}
		data, sum = w.buf, hex.EncodeToString(w.hash.Sum(nil))
		return nil
	})
	return data, sum, err
}

type errTooLarge struct{ size, limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the file is larger than %d MB, the most balancebot takes. Export a shorter date range or one location at a time.", e.limit>>20)
}

// limitWriter collects up to limit bytes and fails past it.
type limitWriter struct {
	buf   []byte
	hash  hash.Hash
	n     int64
	limit int64
	over  bool
}

func (w *limitWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	if w.n > w.limit {
		w.over = true
		return 0, errTooLarge{size: w.n, limit: w.limit}
	}
	w.buf = append(w.buf, p...)
	w.hash.Write(p)
	return len(p), nil
}
