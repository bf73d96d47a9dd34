// Command balancebot balances visits between a therapy practice's EMR and
// its billing system: as a Slack bot with "balancebot run" (the default),
// or offline with "balancebot reconcile FILE...".
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/balancebot/balancebot/internal/balance"
	"github.com/balancebot/balancebot/internal/cli"
	"github.com/balancebot/balancebot/internal/exports"
	"github.com/balancebot/balancebot/internal/slackbot"
	"github.com/balancebot/balancebot/internal/sqlite"
)

const usage = `usage: balancebot [command] [arguments]

Commands:
  run                 run the Slack bot (the default); configured by environment variables
  reconcile FILE...   balance export files offline and print the result
  help                show this help

Run "balancebot reconcile -h" for the reconcile options; the README lists
the bot's settings.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "reconcile":
		return cli.Reconcile(args, stdout, stderr)
	case "run":
		return runBot(stderr)
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

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Main wires balancebot's parts: the store, the readers and the Slack bot.
// It holds no logic of its own.
type Main struct {
	Config Config
	Log    *slog.Logger
	// Now is the clock for every part; tests replace it.
	Now func() time.Time
	// PingInterval shortens Socket Mode's watchdog in tests.
	PingInterval time.Duration

	DB  *sqlite.DB
	Bot *slackbot.Bot
}

// NewMain returns a Main for cfg.
func NewMain(cfg Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, Log: log, Now: time.Now}
}

// Run opens the store and runs the bot until ctx ends.
func (m *Main) Run(ctx context.Context) error {
	db, err := sqlite.Open(ctx, m.Config.dbPath())
	if err != nil {
		return err
	}
	db.Now = m.Now
	m.DB = db
	cfg := m.Config
	m.Bot = slackbot.New(slackbot.Config{
		BotToken:     cfg.BotToken,
		AppToken:     cfg.AppToken,
		APIURL:       cfg.APIURL,
		Channels:     cfg.Channels,
		FullNames:    cfg.FullNames,
		MaxFileBytes: int64(cfg.MaxFileMB) << 20,
		TZ:           cfg.tz,
		Store:        db,
		Read:         m.reader(),
		Log:          m.Log,
		Now:          m.Now,
		PingInterval: m.PingInterval,
	})
	m.Log.Info("balancebot starting", "data_dir", cfg.DataDir, "channels", len(cfg.Channels), "full_names", cfg.FullNames)
	return m.Bot.Run(ctx)
}

// reader adapts the export readers to what the bot asks of them.
func (m *Main) reader() slackbot.Reader {
	cfg := m.Config
	return func(name string, r io.Reader, kind balance.Kind, location string) (*balance.Report, error) {
		return exports.Read(name, r, exports.Options{
			Kind: kind, Location: location, IECodes: cfg.ieCodes(),
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
