package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/pgtest"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	e := start(t, func(c *Config) { c.HealthAddr = "127.0.0.1:0" })
	<-e.main.ready
	base := "http://" + e.main.Ops.Addr()
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz while connected: %d %q", code, body)
	}
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	e.waitFor("the metrics", func() bool {
		_, m := get(t, base+"/metrics")
		// The time to answer is observed last, once the answer is given.
		return strings.Contains(m, `balancebot_balances_total{balanced="false"} 1`) &&
			strings.Contains(m, `balancebot_processing_seconds_count{result="answered"} 1`)
	})
	_, m := get(t, base+"/metrics")
	for _, want := range []string{"balancebot_uploads_total 1", "balancebot_upload_files_total 5",
		`balancebot_files_read_total{kind="emr_billing_report"} 1`, `balancebot_processing_seconds_count{result="answered"} 1`,
		`balancebot_open_items{age="0-7d"} 5`, `balancebot_open_items{age="31d+"} 0`, "go_goroutines"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, name := range patientNames {
		if strings.Contains(m, name) {
			t.Errorf("/metrics carries %q", name)
		}
	}
	// Slack goes away and refuses new connections: not ready.
	e.slack.FailNext("apps.connections.open", 1000, 500, 0)
	e.slack.DropConnection()
	e.waitFor("/readyz to fail", func() bool { code, _ := get(t, base+"/readyz"); return code == 503 })
	if _, body := get(t, base+"/readyz"); !strings.Contains(body, "not connected to Slack") {
		t.Errorf("/readyz says %q", body)
	}
	e.slack.FailNext("apps.connections.open", 0, 0, 0)
	e.waitFor("the reconnect", func() bool { code, _ := get(t, base+"/readyz"); return code == 200 })
	_, m = get(t, base+"/metrics")
	if !strings.Contains(m, "balancebot_reconnects_total 1") {
		t.Error("the reconnect was not counted")
	}
}

func TestFileSizeAndRowLimits(t *testing.T) {
	e := start(t, func(c *Config) { c.MaxFileMB = 1; c.MaxRows = 50 })
	_, ts := e.shareBytes("huge.csv", bytes.Repeat([]byte("x"), 2<<20))
	e.waitFor("the size refusal", func() bool { return strings.Contains(e.status(ts), ":x:") })
	if st := e.status(ts); !strings.Contains(st, ":x: *huge.csv*: the file is larger than 1 MB, the most balancebot takes. Export a shorter date range or one location at a time.") {
		t.Errorf("status: %s", st)
	}
	if n := e.slack.Calls("download"); n != 0 {
		t.Errorf("a file over the limit was downloaded anyway (%d downloads)", n)
	}
	_, ts = e.share("", example(t, "soap1-week", "emr-billing-report.csv"))
	e.waitFor("the row refusal", func() bool { return strings.Contains(e.status(ts), ":x:") })
	if st := e.status(ts); !strings.Contains(st, "the file has more than 50 rows, the most balancebot takes in one file") {
		t.Errorf("status: %s", st)
	}
}

func TestZipBombIsRefused(t *testing.T) {
	e := start(t, func(c *Config) { c.MaxFileMB = 1 })
	bomb := zipOf("[Content_Types].xml", []byte("<Types/>"), "xl/worksheets/sheet1.xml", bytes.Repeat([]byte(" "), 24<<20))
	_, ts := e.shareBytes("bomb.xlsx", bomb)
	e.waitFor("the refusal", func() bool { return strings.Contains(e.status(ts), ":x:") })
	if st := e.status(ts); !strings.Contains(st, ":x: *bomb.xlsx*: this workbook unpacks to more than 20 MB") {
		t.Errorf("status: %s", st)
	}
}

func TestChannelNotAllowed(t *testing.T) {
	e := start(t, func(c *Config) { c.Channels = []string{channel} })
	files := e.slack.AddFile("emr.csv", []byte("Patient,DOS\nA B,11/16/2026\n"))
	e.slack.ShareFiles("COTHER", user, "", files)
	id := e.slack.SlashCommand("/balance", "week", "COTHER", user)
	e.waitFor("the ack", func() bool { _, ok := e.slack.Acked(id); return ok })
	ack, _ := e.slack.Acked(id)
	if !strings.Contains(ackText(ack), "I don't balance in this channel") || !strings.Contains(ackText(ack), "BALANCEBOT_CHANNELS") {
		t.Errorf("ack: %s", ackText(ack))
	}
	e.settle()
	for _, m := range e.slack.Messages() {
		if m.Channel == "COTHER" {
			t.Errorf("the bot answered in a channel not allowed: %+v", m)
		}
	}
	if e.slack.Calls("download") != 0 {
		t.Error("the bot downloaded a file from a channel not allowed")
	}
}

func TestSlashWhereTheBotWasRemoved(t *testing.T) {
	e := start(t)
	e.share("", examples(t, "soap2-week")...)
	e.waitFor("the balance", func() bool { return len(e.summaries()) == 1 })
	e.slack.Leave(channel)
	e.slash("week 2026-11-16")
	if r := e.response(1); !strings.Contains(r, "I'm not in this channel yet, so I cannot post here. Type `/invite @balancebot`") {
		t.Errorf("response: %s", r)
	}
	// In a channel with nothing uploaded, the answer says how to add the bot.
	id := e.slack.SlashCommand("/balance", "week", "CNEW", user)
	e.waitFor("the ack", func() bool { _, ok := e.slack.Acked(id); return ok })
	if r := e.response(2); !strings.Contains(r, "Nothing is uploaded here") || !strings.Contains(r, "/invite @balancebot") {
		t.Errorf("response: %s", r)
	}
}

func TestDownloadFailuresAreRetriedThenReported(t *testing.T) {
	e := start(t, func(c *Config) { c.DownloadTimeout = 200 * time.Millisecond })
	// Two failures and a rate limit are waited out: the file is read.
	e.slack.FailNext("download", 2, 500, 0)
	_, ts := e.share("", example(t, "soap1-week", "emr-billing-report.csv"))
	e.waitFor("the read", func() bool { return strings.Contains(e.status(ts), "Still needed") })
	e.slack.FailNext("download", 1, 429, 1)
	_, ts = e.share("", example(t, "soap1-week", "charge-audit-summary.xlsx"))
	e.waitFor("the balance", func() bool { return len(e.summaries()) == 1 })

	// Failures that do not pass are reported, with what to do.
	e.slack.FailNext("download", 100, 500, 0)
	_, ts = e.share("", example(t, "soap1-week", "claims-feed.csv"))
	e.waitFor("the report", func() bool { return strings.Contains(e.status(ts), ":x:") })
	if st := e.status(ts); !strings.Contains(st, ":x: *claims-feed.csv*: Slack would not let me download it") || !strings.Contains(st, "Share it again in a minute") {
		t.Errorf("status: %s", st)
	}
	// A download that hangs times out, is retried, then reported.
	e.slack.FailNext("download", 0, 0, 0)
	e.slack.DelayNext("download", 100, time.Second)
	_, ts = e.share("", example(t, "soap1-week", "billing-exceptions.csv"))
	e.waitFor("the timeout report", func() bool { return strings.Contains(e.status(ts), ":x:") })
	if st := e.status(ts); !strings.Contains(st, "Slack would not let me download it") {
		t.Errorf("status: %s", st)
	}
	if n := e.slack.Calls("download"); n < 10 {
		t.Errorf("only %d download attempts: failures were not retried", n)
	}
}

func TestUnwritableStoreFailsAtStart(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-directory")
	os.WriteFile(blocker, []byte("x"), 0o600)
	cfg := Config{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: "http://127.0.0.1:9/api/", DataDir: filepath.Join(blocker, "data"),
		LogLevel: "info", MaxFileMB: 1, RetentionDays: 35}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	err := NewMain(cfg, newLogger(io.Discard, "info")).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot create the data directory "+blocker) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("got %v", err)
	}
	// Through the command: exit status 1 and the message on stderr.
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-test")
	t.Setenv("SLACK_APP_TOKEN", "xapp-test")
	t.Setenv("BALANCEBOT_DATA_DIR", filepath.Join(blocker, "data"))
	t.Setenv("BALANCEBOT_HEALTH_ADDR", "")
	var stderr bytes.Buffer
	if code := run([]string{"run"}, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "balancebot: cannot create the data directory") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestBackupCommand(t *testing.T) {
	e := start(t)
	e.share("", examples(t, "soap2-week")...)
	e.waitFor("the balance", func() bool { return len(e.summaries()) == 1 })
	// The upload answered and its thread written: a backup of finished
	// work (one taken mid-job resumes the job after a restore).
	e.settle()
	t.Setenv("BALANCEBOT_DATA_DIR", e.dir)
	dest := filepath.Join(t.TempDir(), "backup.db")
	var out, errb bytes.Buffer
	if code := run([]string{"backup", dest}, &out, &errb); code != 0 {
		t.Fatalf("backup: %d %s", code, errb.String())
	}
	st, err := os.Stat(dest)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() < 4096 {
		t.Fatalf("backup file: %v %v", st, err)
	}
	// The backup is a working store with the uploads in it.
	e.stop()
	e.dir = filepath.Dir(dest)
	os.Rename(dest, filepath.Join(e.dir, "balancebot.db"))
	e.boot()
	e.slash("week 2026-11-16")
	e.waitFor("a balance from the backup", func() bool { return len(e.balances()) == 2 })
	// And it refuses to overwrite.
	if code := run([]string{"backup", filepath.Join(e.dir, "balancebot.db")}, &out, &errb); code == 0 {
		t.Error("backup overwrote a file")
	}
	// On PostgreSQL, backups are pg_dump's.
	t.Setenv("BALANCEBOT_DATABASE_URL", "postgres://balancebot@db/balancebot")
	errb.Reset()
	if code := run([]string{"backup", filepath.Join(t.TempDir(), "b.db")}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "pg_dump") {
		t.Errorf("backup with the store on PostgreSQL: %d %q", code, errb.String())
	}
}

// TestNoErrorReplyQuotesACell shares a file for each error a reader can
// give, each with a patient's name where the error looks (a shifted row's
// date, a units cell, a first row that is data, a report of no known kind,
// a file naming no location among two), and finds the name in no Slack
// message and no log line.
func TestNoErrorReplyQuotesACell(t *testing.T) {
	e := start(t)
	const name = "Kowalczyk, Agnieszka"
	files := map[string]string{
		"shifted.csv":   "Patient,Date of Service,CPT Code,Units\n\"Able, Ann\",11/16/2026,97110,1\n11/16/2026,\"" + name + "\",97110,1\n",
		"units.csv":     "Patient,Date of Service,CPT Code,Units\n\"Able, Ann\",11/16/2026,97110,\"" + name + "\"\n",
		"no-header.csv": "\"" + name + "\",Balance Due\n\"Able, Ann\",40.00\n",
		"mystery.csv":   "Patient,Account #,Balance Due\n\"" + name + "\",12,40.00\n",
	}
	var envs []string
	for fname, data := range files {
		env, _ := e.shareBytes(fname, []byte(data))
		envs = append(envs, env)
	}
	// Two clinics on the EMR side and a billing file naming none: the
	// balance itself is refused, naming the file.
	two := "Patient,Date of Service,Clinic,CPT Code,Units\n\"" + name + "\",11/16/2026,Downtown,97110,1\n\"Able, Ann\",11/16/2026,Uptown,97110,1\n"
	cas := "Patient,Date of Service,Visits\n\"" + name + "\",11/16/2026,1\n"
	env, _ := e.slack.ShareFiles(channel, user, "", e.slack.AddFile("emr-two.csv", []byte(two)), e.slack.AddFile("cas.csv", []byte(cas)))
	envs = append(envs, env)
	e.waitFor("an answer to every share", func() bool {
		replies := 0
		for _, m := range e.slack.Messages() {
			if m.Method == "chat.update" && strings.Contains(m.Text, ":x:") {
				replies++
			}
		}
		return replies >= len(envs)
	})
	e.settle()
	answers := 0
	for _, m := range e.slack.Messages() {
		all := m.Text + string(m.Blocks) + string(m.Metadata)
		for _, part := range []string{name, "Kowalczyk", "Agnieszka", "K.A.", "A.K."} {
			if strings.Contains(all, part) {
				t.Errorf("a Slack message shows %q: %s", part, all)
			}
		}
		if strings.Contains(m.Text, ":x:") {
			answers++
		}
	}
	if answers < len(envs) {
		t.Errorf("%d error replies for %d shares", answers, len(envs))
	}
	for _, part := range []string{"Kowalczyk", "Agnieszka"} {
		if strings.Contains(e.logs.String(), part) {
			t.Errorf("the logs show %q", part)
		}
	}
	if t.Failed() {
		t.Log(e.dump())
	}
}

// TestReadinessReflectsTheDatabase runs the bot on PostgreSQL and makes the
// database refuse connections: /readyz says the store is not ready, and
// ready again once it is back.
func TestReadinessReflectsTheDatabase(t *testing.T) {
	url := pgtest.URL(t)
	e := start(t, func(c *Config) { c.DatabaseURL = url; c.HealthAddr = "127.0.0.1:0" })
	<-e.main.ready
	if got := e.main.DB.Engine(); got != "postgres" {
		t.Fatalf("the store is on %s, want postgres", got)
	}
	base := "http://" + e.main.Ops.Addr()
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz: %d %q", code, body)
	}
	name := pgtest.Database(url)
	pgtest.Exec(t, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS false")
	pgtest.Exec(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+name+"'")
	e.waitFor("/readyz to fail", func() bool { code, _ := get(t, base+"/readyz"); return code == 503 })
	if _, body := get(t, base+"/readyz"); !strings.Contains(body, "store") {
		t.Errorf("/readyz says %q; it should name the store", body)
	}
	pgtest.Exec(t, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS true")
	e.waitFor("/readyz to recover", func() bool { code, _ := get(t, base+"/readyz"); return code == 200 })
}
