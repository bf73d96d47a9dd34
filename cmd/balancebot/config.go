package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/schedule"
	"github.com/balancebot/balancebot/internal/store"
)

// Config is the bot's configuration, read from the environment. Every
// setting, its variable and its default is listed in the README.
type Config struct {
	BotToken string `envconfig:"SLACK_BOT_TOKEN"`
	AppToken string `envconfig:"SLACK_APP_TOKEN"`
	APIURL   string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`

	// Channels are the channel ids the bot works in; empty means every
	// channel it has been invited to.
	Channels []string `envconfig:"BALANCEBOT_CHANNELS"`
	DataDir  string   `envconfig:"BALANCEBOT_DATA_DIR" default:"data"`
	// DatabaseURL, when set, puts the store on PostgreSQL
	// (postgres://…), which several replicas share; otherwise it is a
	// SQLite file in DataDir.
	DatabaseURL string `envconfig:"BALANCEBOT_DATABASE_URL"`
	// ReplicaID names this replica among those sharing the database
	// (default: the host name); JobLease is how long an upload it handles
	// stays its without renewal: if it dies, another replica resumes the
	// upload within one and a half leases.
	ReplicaID string        `envconfig:"BALANCEBOT_REPLICA_ID"`
	JobLease  time.Duration `envconfig:"BALANCEBOT_JOB_LEASE" default:"30s"`
	Timezone  string        `envconfig:"BALANCEBOT_TIMEZONE"`
	// FullNames shows patient names in Slack; by default they are masked.
	FullNames bool `envconfig:"BALANCEBOT_FULL_NAMES" default:"false"`
	// PHIUsers and PHIUsergroup are who may see patient data: the Show
	// names button answers them, privately, and no one else.
	PHIUsers     []string `envconfig:"BALANCEBOT_PHI_USERS"`
	PHIUsergroup string   `envconfig:"BALANCEBOT_PHI_USERGROUP"`
	// Owners are each location's clinic owners, "Downtown=U1 U2;Uptown=U3":
	// the summary mentions them on their unbalanced locations, and new
	// items are assigned to the first.
	Owners    string `envconfig:"BALANCEBOT_OWNERS"`
	owners    map[string][]string
	MaxFileMB int      `envconfig:"BALANCEBOT_MAX_FILE_MB" default:"100"`
	MaxRows   int      `envconfig:"BALANCEBOT_MAX_ROWS" default:"2000000"`
	IECodes   []string `envconfig:"BALANCEBOT_IE_CODES"`
	LogLevel  string   `envconfig:"BALANCEBOT_LOG_LEVEL" default:"info"`
	// RetentionDays is how long uploads (patient data) are kept.
	RetentionDays int `envconfig:"BALANCEBOT_RETENTION_DAYS" default:"35"`
	// SOAPVersion picks the checklist: 1.0, 2.0, or empty for both.
	SOAPVersion      string   `envconfig:"BALANCEBOT_SOAP_VERSION"`
	ReminderSchedule string   `envconfig:"BALANCEBOT_REMINDER_SCHEDULE" default:"0 9 * * MON"`
	ReminderChannels []string `envconfig:"BALANCEBOT_REMINDER_CHANNELS"`
	// DailySchedule is an optional daily reminder, e.g. "0 8 * * TUE-FRI".
	DailySchedule string `envconfig:"BALANCEBOT_DAILY_REMINDER_SCHEDULE"`
	// ShutdownGrace is how long a stop waits for work in flight; the rest
	// resumes on the next start.
	ShutdownGrace   time.Duration `envconfig:"BALANCEBOT_SHUTDOWN_GRACE" default:"8s"`
	DownloadTimeout time.Duration `envconfig:"BALANCEBOT_DOWNLOAD_TIMEOUT" default:"2m"`
	// SlackTimeout limits one Web API call; a call past it is retried.
	SlackTimeout time.Duration `envconfig:"BALANCEBOT_SLACK_TIMEOUT" default:"30s"`
	// UpdateWindow is how long a balance's summary is kept current: a
	// balance of the same dates within it updates the summary in place;
	// past it, a new summary is posted and the old one marked superseded.
	UpdateWindow time.Duration `envconfig:"BALANCEBOT_UPDATE_WINDOW" default:"1h"`
	// ThreadQuiet is how long a channel goes without a share before a
	// summary's thread is written: a week shared in many messages gets
	// its thread once, after the last.
	ThreadQuiet time.Duration `envconfig:"BALANCEBOT_THREAD_QUIET" default:"3s"`
	// HealthAddr serves /healthz, /readyz and /metrics; empty turns it off.
	HealthAddr string `envconfig:"BALANCEBOT_HEALTH_ADDR" default:":8080"`

	tz *time.Location
}

// loadConfig reads and checks the configuration. A missing or malformed
// token fails here, naming the variable.
func loadConfig() (Config, error) {
	var c Config
	// A variable set to nothing (VAR= in an env file) means its default.
	t := reflect.TypeOf(c)
	for i := 0; i < t.NumField(); i++ {
		if name := t.Field(i).Tag.Get("envconfig"); name != "" {
			if v, ok := os.LookupEnv(name); ok && strings.TrimSpace(v) == "" {
				os.Unsetenv(name)
			}
		}
	}
	if err := envconfig.Process("", &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return c, fmt.Errorf("configuration: %s=%q is not a valid %s", pe.KeyName, pe.Value, pe.TypeName)
		}
		return c, fmt.Errorf("configuration: %w", err)
	}
	return c, c.check()
}

func (c *Config) check() error {
	var problems []string
	token := func(name, value, prefix, what string) {
		switch {
		case value == "":
			problems = append(problems, fmt.Sprintf("%s is not set: set it to the app's %s (it starts with %s).", name, what, prefix))
		case !strings.HasPrefix(value, prefix):
			problems = append(problems, fmt.Sprintf("%s does not look like a %s: it should start with %s.", name, what, prefix))
		}
	}
	token("SLACK_BOT_TOKEN", c.BotToken, "xoxb-", "Bot User OAuth Token")
	token("SLACK_APP_TOKEN", c.AppToken, "xapp-", "App-Level Token with connections:write")
	if !strings.HasPrefix(c.APIURL, "http://") && !strings.HasPrefix(c.APIURL, "https://") {
		problems = append(problems, fmt.Sprintf("SLACK_API_URL %q is not an http(s) URL.", c.APIURL))
	} else if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	c.tz = time.Local
	if c.Timezone != "" {
		tz, err := time.LoadLocation(c.Timezone)
		if err != nil {
			problems = append(problems, fmt.Sprintf("BALANCEBOT_TIMEZONE %q is not a time zone: use a name such as America/Chicago.", c.Timezone))
		}
		c.tz = tz
	}
	owners, err := parseOwners(c.Owners)
	if err != nil {
		problems = append(problems, err.Error())
	}
	c.owners = owners
	if c.MaxFileMB <= 0 {
		problems = append(problems, "BALANCEBOT_MAX_FILE_MB must be a positive number of megabytes.")
	}
	if len(c.IECodes) > 0 && len(rules.NewCodeSet(c.IECodes...)) == 0 {
		problems = append(problems, "BALANCEBOT_IE_CODES lists no CPT codes.")
	}
	if c.RetentionDays <= 0 {
		problems = append(problems, "BALANCEBOT_RETENTION_DAYS must be a positive number of days.")
	}
	if c.SOAPVersion != "" && c.SOAPVersion != "1.0" && c.SOAPVersion != "2.0" {
		problems = append(problems, fmt.Sprintf("BALANCEBOT_SOAP_VERSION %q is not 1.0 or 2.0 (leave it empty for both).", c.SOAPVersion))
	}
	for name, spec := range map[string]string{"BALANCEBOT_REMINDER_SCHEDULE": c.ReminderSchedule, "BALANCEBOT_DAILY_REMINDER_SCHEDULE": c.DailySchedule} {
		if spec == "" {
			continue
		}
		if _, err := schedule.Parse(spec); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v.", name, err))
		}
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("BALANCEBOT_LOG_LEVEL %q is not one of debug, info, warn, error.", c.LogLevel))
	}
	if len(problems) > 0 {
		return fmt.Errorf("configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// openStore opens the configured store: PostgreSQL when a database URL
// is set, else the SQLite file under the data directory.
func (c *Config) openStore(ctx context.Context) (*store.DB, error) {
	if c.DatabaseURL != "" {
		return store.OpenPostgres(ctx, c.DatabaseURL)
	}
	return store.Open(ctx, c.dbPath())
}

// dbPath is the store's file under the data directory.
func (c *Config) dbPath() string { return filepath.Join(c.DataDir, "balancebot.db") }

func (c *Config) ieCodes() rules.CodeSet {
	if len(c.IECodes) == 0 {
		return nil
	}
	return rules.NewCodeSet(c.IECodes...)
}

// parseOwners reads BALANCEBOT_OWNERS: "LOCATION=USER USER;LOCATION=USER",
// Slack user ids (U…, W…), keyed by the location's rules.LocationKey.
func parseOwners(spec string) (map[string][]string, error) {
	owners := map[string][]string{}
	for part := range strings.SplitSeq(spec, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		loc, users, ok := strings.Cut(part, "=")
		key := rules.LocationKey(loc)
		if !ok || key == "" || len(strings.Fields(users)) == 0 {
			return nil, fmt.Errorf("BALANCEBOT_OWNERS: %q is not LOCATION=USER_ID …; write it as \"Downtown=U0123ABCD U0456EFGH;Uptown=U0789IJKL\".", strings.TrimSpace(part))
		}
		for _, u := range strings.Fields(users) {
			if !strings.HasPrefix(u, "U") && !strings.HasPrefix(u, "W") {
				return nil, fmt.Errorf("BALANCEBOT_OWNERS: %q for %s is not a Slack user id (U… or W…: the member id in their profile, not their name).", u, strings.TrimSpace(loc))
			}
			owners[key] = append(owners[key], u)
		}
	}
	return owners, nil
}
