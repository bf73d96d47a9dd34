// Command balancebot balances visits between a therapy practice's EMR and
// its billing system: as a Slack bot with "balancebot run" (the default),
// or offline with "balancebot reconcile FILE...".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // BALANCEBOT_TIMEZONE works in images without zoneinfo

	"github.com/balancebot/balancebot/internal/cli"
	"github.com/balancebot/balancebot/internal/clock"
	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/exports"
	"github.com/balancebot/balancebot/internal/ops"
	"github.com/balancebot/balancebot/internal/render"
	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/schedule"
	"github.com/balancebot/balancebot/internal/service"
	"github.com/balancebot/balancebot/internal/slackbot"
	"github.com/balancebot/balancebot/internal/store"
)

const usage = `usage: balancebot [command] [arguments]

Commands:
  run                 run the Slack bot (the default); configured by environment variables
  reconcile FILE...   balance export files offline and print the result
  backup FILE         copy the store (BALANCEBOT_DATA_DIR) to FILE, safe while the bot runs
  migrate --to URL    copy the SQLite store (BALANCEBOT_DATA_DIR) into an empty PostgreSQL database
  healthcheck [URL]   exit 0 if the bot's /healthz answers (for container health checks)
  help                show this help

Run "balancebot reconcile -h" for the reconcile options; the README lists
the bot's settings.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// reconcileCommand wires the command line's reconcile: the export readers
// with no limits (the files are the user's own), one file a core, and the
// text, JSON and CSV renderings.
func reconcileCommand() *cli.Command {
	read := func(name string, r io.Reader, h service.Hint) (*engine.Report, error) {
		return exports.Read(name, r, exports.Options{Kind: h.Kind, Location: h.Location, IECodes: h.IECodes})
	}
	svc := service.New(read, nil)
	svc.Parallel = runtime.GOMAXPROCS(0)
	return &cli.Command{Service: svc, Render: render.Write}
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "reconcile":
		return reconcileCommand().Reconcile(args, stdout, stderr)
	case "run":
		return runBot(stderr)
	case "backup":
		return runBackup(args, stdout, stderr)
	case "migrate":
		return runMigrate(args, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(args, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "balancebot: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func runBot(stderr io.Writer) int {
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintf(stderr, "balancebot: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain(cfg, newLogger(stderr, cfg.LogLevel))
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "balancebot: %v\n", err)
		m.Close()
		return 1
	}
	if err := m.Close(); err != nil {
		fmt.Fprintf(stderr, "balancebot: %v\n", err)
		return 1
	}
	return 0
}

func runBackup(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "usage: balancebot backup FILE\n")
		return 2
	}
	if os.Getenv("BALANCEBOT_DATABASE_URL") != "" {
		fmt.Fprintf(stderr, "balancebot backup: the store is on PostgreSQL (BALANCEBOT_DATABASE_URL): back it up with pg_dump, as the README shows\n")
		return 1
	}
	var cfg Config
	// Only the data directory matters here; no Slack tokens are needed.
	cfg.DataDir = os.Getenv("BALANCEBOT_DATA_DIR")
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if _, err := os.Stat(cfg.dbPath()); err != nil {
		fmt.Fprintf(stderr, "balancebot backup: no store at %s (set BALANCEBOT_DATA_DIR): %v\n", cfg.dbPath(), err)
		return 1
	}
	db, err := store.Open(context.Background(), cfg.dbPath())
	if err != nil {
		fmt.Fprintf(stderr, "balancebot backup: %v\n", err)
		return 1
	}
	defer db.Close()
	if err := db.Backup(context.Background(), args[0]); err != nil {
		fmt.Fprintf(stderr, "balancebot backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", cfg.dbPath(), args[0])
	return 0
}

// runMigrate copies the SQLite store into PostgreSQL, for moving a single
// replica onto the database several share. The bot should be stopped
// while it runs; the SQLite file is left as it was.
func runMigrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "the PostgreSQL database to copy the store into: postgres://user:password@host:port/database")
	if err := fs.Parse(args); err != nil || *to == "" || fs.NArg() != 0 {
		fmt.Fprintf(stderr, "usage: balancebot migrate --to postgres://user:password@host:port/database\n"+
			"Copies the SQLite store in BALANCEBOT_DATA_DIR (stop the bot first) into an empty PostgreSQL database.\n")
		return 2
	}
	dir := os.Getenv("BALANCEBOT_DATA_DIR")
	if dir == "" {
		dir = "data"
	}
	cfg := Config{DataDir: dir}
	if _, err := os.Stat(cfg.dbPath()); err != nil {
		fmt.Fprintf(stderr, "balancebot migrate: no store at %s (set BALANCEBOT_DATA_DIR): %v\n", cfg.dbPath(), err)
		return 1
	}
	ctx := context.Background()
	from, err := store.Open(ctx, cfg.dbPath())
	if err != nil {
		fmt.Fprintf(stderr, "balancebot migrate: %v\n", err)
		return 1
	}
	defer from.Close()
	dest, err := store.OpenPostgres(ctx, *to)
	if err != nil {
		fmt.Fprintf(stderr, "balancebot migrate: %v\n", err)
		return 1
	}
	defer dest.Close()
	counts, err := from.CopyTo(ctx, dest)
	if err != nil {
		fmt.Fprintf(stderr, "balancebot migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "copied %s into PostgreSQL:", cfg.dbPath())
	for _, c := range counts {
		fmt.Fprintf(stdout, " %s %d,", c.Table, c.Rows)
	}
	fmt.Fprintf(stdout, " done. Set BALANCEBOT_DATABASE_URL to use it.\n")
	return 0
}

func runHealthcheck(args []string, stderr io.Writer) int {
	url := "http://127.0.0.1:8080/healthz"
	if addr := os.Getenv("BALANCEBOT_HEALTH_ADDR"); addr != "" {
		if _, port, err := net.SplitHostPort(addr); err == nil {
			url = "http://127.0.0.1:" + port + "/healthz"
		}
	}
	if len(args) > 0 {
		url = args[0]
	}
	if err := ops.Check(url); err != nil {
		fmt.Fprintf(stderr, "balancebot healthcheck: %v\n", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Main wires balancebot's parts: the store, the readers, the Slack bot and
// the reminders. It holds no logic of its own.
type Main struct {
	Config Config
	Log    *slog.Logger
	// Clock is the time for every part; tests use a fake one.
	Clock clock.Clock
	// PingInterval shortens Socket Mode's watchdog in tests.
	PingInterval time.Duration
	// MaxRetryWait shortens the waits between retries in tests.
	MaxRetryWait time.Duration
	// Pace is how fast the bot calls Slack: Slack's own limits
	// (slackbot.SlackPace) unless a test sets it.
	Pace slackbot.Pace

	DB  *store.DB
	Bot *slackbot.Bot
	Ops *ops.Server
	// ready is closed once the parts are wired, so tests can look at them.
	ready chan struct{}
	// rounds counts the reminder rounds done, the catch-up on start
	// included, so tests can wait for one.
	rounds atomic.Int64
}

// NewMain returns a Main for cfg on the system clock.
func NewMain(cfg Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, Log: log, Clock: clock.Real{}, Pace: slackbot.SlackPace(), ready: make(chan struct{})}
}

// Run opens the store and runs the bot, the reminders and the retention
// purge until ctx ends or the bot stops.
func (m *Main) Run(ctx context.Context) error {
	db, err := m.Config.openStore(ctx)
	if err != nil {
		return err
	}
	db.Now = m.Clock.Now
	m.DB = db
	cfg := m.Config
	m.Bot = slackbot.New(slackbot.Config{
		BotToken:        cfg.BotToken,
		AppToken:        cfg.AppToken,
		APIURL:          cfg.APIURL,
		Channels:        cfg.Channels,
		FullNames:       cfg.FullNames,
		PHIUsers:        cfg.PHIUsers,
		PHIUsergroup:    cfg.PHIUsergroup,
		Owners:          cfg.owners,
		MaxFileBytes:    int64(cfg.MaxFileMB) << 20,
		TZ:              cfg.tz,
		Service:         service.New(m.reader(), db),
		Render:          render.BlockKit{},
		Store:           db,
		SOAPVersion:     cfg.SOAPVersion,
		Log:             m.Log,
		Clock:           m.Clock,
		PingInterval:    m.PingInterval,
		MaxRetryWait:    m.MaxRetryWait,
		DownloadTimeout: cfg.DownloadTimeout,
		CallTimeout:     cfg.SlackTimeout,
		DrainTimeout:    cfg.ShutdownGrace,
		UpdateWindow:    cfg.UpdateWindow,
		Replica:         cfg.ReplicaID,
		Lease:           cfg.JobLease,
		ThreadQuiet:     cfg.ThreadQuiet,
		Pace:            m.Pace,
	})
	sched, err := schedule.New(m.Clock, cfg.tz, db, m.Bot.Remind, m.Log,
		schedule.Reminder{Name: slackbot.ReminderWeekly, Spec: cfg.ReminderSchedule, Channels: cfg.ReminderChannels},
		schedule.Reminder{Name: slackbot.ReminderDaily, Spec: cfg.DailySchedule, Channels: cfg.ReminderChannels})
	if err != nil {
		return err
	}
	sched.Tick = func() { m.rounds.Add(1) }
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if cfg.HealthAddr != "" {
		m.Ops = ops.NewServer(func(ctx context.Context) error {
			if !m.Bot.Ready() {
				return errors.New("not connected to Slack")
			}
			if err := db.Ping(ctx); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			return nil
		})
		if err := m.Ops.Listen(cfg.HealthAddr); err != nil {
			return err
		}
		m.Bot.Metrics = m.Ops.Metrics
		m.Ops.OpenItems(func(ctx context.Context) ([]int, error) {
			return db.OpenItemAges(ctx, rules.DateOfTime(m.Clock.Now().In(cfg.tz)))
		})
		wg.Go(func() {
			if err := m.Ops.Serve(ctx); err != nil {
				m.Log.Error("health server stopped", "err", err.Error())
			}
		})
	}
	close(m.ready)
	m.Log.Info("balancebot starting", "store", db.Engine(), "replica", m.Bot.Replica(), "data_dir", cfg.DataDir, "channels", len(cfg.Channels), "full_names", cfg.FullNames,
		"retention_days", cfg.RetentionDays, "reminder_channels", len(cfg.ReminderChannels), "health_addr", cfg.HealthAddr)

	wg.Go(func() { m.purge(ctx) })
	wg.Go(func() {
		if err := sched.Run(ctx); err != nil {
			m.Log.Error("reminders stopped", "err", err.Error())
		}
	})
	err = m.Bot.Run(ctx)
	cancel()
	wg.Wait()
	return err
}

// purge deletes uploads past the retention, at start and every six hours.
func (m *Main) purge(ctx context.Context) {
	keep := time.Duration(m.Config.RetentionDays) * 24 * time.Hour
	for {
		n, err := m.DB.Purge(ctx, m.Clock.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			m.Log.Error("purge failed", "err", err.Error())
		case n > 0:
			m.Log.Info("purged old uploads", "uploads", n, "retention_days", m.Config.RetentionDays)
		}
		select {
		case <-ctx.Done():
			return
		case <-m.Clock.After(6 * time.Hour):
		}
	}
}

// reader adapts the export readers to what the service asks of them, with
// the practice's settings.
func (m *Main) reader() service.Reader {
	cfg := m.Config
	return func(name string, r io.Reader, h service.Hint) (*engine.Report, error) {
		ie := h.IECodes
		if ie == nil {
			ie = cfg.ieCodes()
		}
		return exports.Read(name, r, exports.Options{
			Kind: h.Kind, Location: h.Location, IECodes: ie,
			MaxRows: cfg.MaxRows, MaxUnzip: int64(cfg.MaxFileMB) << 20 * 20,
		})
	}
}

// Close releases what Run opened.
func (m *Main) Close() error {
	if m.DB != nil {
		return m.DB.Close()
	}
	return nil
}
