package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/clock"
	"github.com/balancebot/balancebot/internal/fakeslack"
	"github.com/balancebot/balancebot/internal/slackbot"
)

const (
	channel = "CBILLING"
	user    = "UBILLER"
	wait    = 20 * time.Second
)

// syncBuffer is a log sink the bot writes to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a running bot against a fake Slack, on a temp data directory.
type env struct {
	t      testing.TB
	slack  *fakeslack.Server
	main   *Main
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	dir    string
	// clock, when set, is the bot's time; otherwise the system's.
	clock *clock.Fake
	// opts apply to every boot, restarts included.
	opts []envOption
	// pace is the bot's pace (see speed).
	pace slackbot.Pace
}

// speed is how much faster than Slack the tests run: the fake Slack
// enforces Slack's rate limits this much faster, and the bot paces itself
// as much faster, so every test shows the bot keeping under the limits
// without waiting Slack's seconds.
const speed = 10

// speed is how much faster than Slack this env runs.
func (e *env) speed() int {
	if e.pace.ChannelPosts.Every > 0 && e.pace.ChannelPosts.Every < time.Second {
		return speed
	}
	return 1
}

// fakeLimits are the rate limits the tests' fake Slack enforces.
func fakeLimits() *fakeslack.Limits {
	l := fakeslack.SlackLimits().Faster(speed)
	return &l
}

type envOption func(*Config)

func start(t testing.TB, opts ...envOption) *env {
	t.Helper()
	fs := fakeslack.New(fakeslack.Options{EchoBotUploads: true, Limits: fakeLimits()})
	t.Cleanup(fs.Close)
	e := &env{t: t, slack: fs, logs: &syncBuffer{}, dir: t.TempDir(), opts: opts, pace: slackbot.SlackPace().Faster(speed)}
	t.Cleanup(e.checkLimits)
	e.boot()
	return e
}

// checkLimits fails the test if the bot sent what Slack refuses, or went
// past Slack's rate limits.
func (e *env) checkLimits() {
	for _, v := range e.slack.Violations() {
		e.t.Errorf("Slack would refuse: %s", v)
	}
	if rl := e.slack.RateLimited(); len(rl) > 0 {
		e.t.Errorf("the bot went past Slack's rate limits: %v", rl)
	}
}

// boot starts (or restarts) the bot on the env's fake Slack and data.
func (e *env) boot() {
	e.t.Helper()
	cfg := Config{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: e.slack.URL, DataDir: e.dir,
		LogLevel: "debug", MaxFileMB: 100, MaxRows: 2000000, Timezone: "America/Chicago", RetentionDays: 35,
		ReminderSchedule: "0 9 * * MON", ShutdownGrace: 10 * time.Second, DownloadTimeout: 10 * time.Second,
		UpdateWindow: time.Hour}
	if e.clock == nil {
		// The quiet before a thread is written, as much faster as the
		// pace; with a fake clock, none (the test moves the clock).
		cfg.ThreadQuiet = 3 * time.Second / time.Duration(e.speed())
	}
	for _, o := range e.opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		e.t.Fatal(err)
	}
	e.main = NewMain(cfg, newLogger(e.logs, "debug"))
	e.main.PingInterval = 5 * time.Second
	e.main.MaxRetryWait = 20 * time.Millisecond
	e.main.Pace = e.pace
	if e.clock != nil {
		e.main.Clock = e.clock
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan error, 1)
	go func() { e.done <- e.main.Run(ctx) }()
	opens := e.slack.Connections()
	if !e.slack.WaitFor(wait, func() bool { return e.slack.Connections() > opens && e.slack.Connected() }) {
		e.t.Fatalf("the bot did not connect; logs:\n%s", e.logs.String())
	}
	e.t.Cleanup(e.stop)
}

// stop shuts the bot down and waits for it.
func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	select {
	case err := <-e.done:
		if err != nil {
			e.t.Errorf("Run: %v", err)
		}
	case <-time.After(wait):
		e.t.Error("the bot did not stop")
	}
	e.main.Close()
	e.cancel = nil
}

// share uploads files as a user would, and returns the message ts.
func (e *env) share(text string, paths ...string) (envelopeID, ts string) {
	e.t.Helper()
	var files []fakeslack.File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			e.t.Fatal(err)
		}
		files = append(files, e.slack.AddFile(filepath.Base(p), data))
	}
	return e.slack.ShareFiles(channel, user, text, files...)
}

func (e *env) shareBytes(name string, data []byte) (envelopeID, ts string) {
	return e.slack.ShareFiles(channel, user, "", e.slack.AddFile(name, data))
}

// summaries are the top-level messages carrying balance metadata.
func (e *env) summaries() []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range e.slack.Messages() {
		if m.Method == "chat.postMessage" && m.ThreadTS == "" && len(m.Metadata) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// balances are every balance shown in the channel, in order: each
// summary posted, and each update of one in place (a later balance of the
// same dates), with its text, blocks and metadata as updated.
func (e *env) balances() []fakeslack.Message {
	var out []fakeslack.Message
	summary := map[string]bool{}
	for _, m := range e.slack.Messages() {
		switch {
		case m.Method == "chat.postMessage" && m.ThreadTS == "" && len(m.Metadata) > 0:
			summary[m.TS] = true
			out = append(out, m)
		case m.Method == "chat.update" && summary[m.TS] && len(m.Metadata) > 0:
			out = append(out, m)
		}
	}
	return out
}

// status returns the latest text of the status reply in a thread.
func (e *env) status(thread string) string {
	var ts, text string
	for _, m := range e.slack.Messages() {
		if m.Method == "chat.postMessage" && m.ThreadTS == thread && strings.Contains(m.Text, "Reading") {
			ts, text = m.TS, m.Text
		}
		if m.Method == "chat.update" && m.TS == ts && ts != "" {
			text = m.Text
		}
	}
	return text
}

func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	if !e.slack.WaitFor(wait, cond) {
		e.t.Fatalf("timed out waiting for %s; messages:\n%s\nlogs:\n%s", what, e.dump(), e.logs.String())
	}
}

// settle waits until Slack has the bot's ack for everything it sent and
// the bot has no work in flight: from then on nothing happens until the
// test sends something, so the test may assert that something did not
// happen.
func (e *env) settle() {
	e.t.Helper()
	e.waitFor("Slack and the bot to settle", func() bool { return e.slack.Settled() && e.main.Bot.Idle() })
}

func (e *env) dump() string {
	var b strings.Builder
	for _, m := range e.slack.Messages() {
		b.WriteString(m.Method + " thread=" + m.ThreadTS + " ts=" + m.TS + ": " + m.Text + "\n")
	}
	return b.String()
}

func examples(t *testing.T, week string) []string {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", week, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples for %s", week)
	}
	return files
}

func example(t *testing.T, week, name string) string {
	return filepath.Join("..", "..", "examples", week, name)
}

// patientNames are the example patients' surnames: none may reach Slack by
// default, nor any log.
var patientNames = []string{"Nguyen", "Foster", "Ramirez", "Patel", "Kowalski", "Chen", "Brooks", "Smith", "Garcia",
	"Hughes", "Reyes", "Park", "Okafor", "NGUYEN", "RAMIREZ", "KOWALSKI", "CHEN"}

func TestUploadBothSidesGetsSummaryThreadAndCSV(t *testing.T) {
	e := start(t)
	_, ts := e.share("", examples(t, "soap1-week")...)
	// The verdict reaction comes right after the summary; the thread
	// follows.
	e.waitFor("the verdict reaction", func() bool { return len(e.slack.Reactions()) == 2 })
	e.settle()

	sums := e.summaries()
	if len(sums) != 1 {
		t.Fatalf("%d summaries, want 1:\n%s", len(sums), e.dump())
	}
	sum := sums[0]
	// The answer with its link comes before the thread.
	answered, threaded := -1, -1
	for i, m := range e.slack.Messages() {
		if answered < 0 && m.Method == "chat.update" && strings.Contains(m.Text, "see the balance") {
			answered = i
		}
		if threaded < 0 && m.ThreadTS == sum.TS {
			threaded = i
		}
	}
	if answered < 0 || threaded < 0 || answered > threaded {
		t.Errorf("the answer (message %d) should come before the thread (message %d)", answered, threaded)
	}
	if sum.Channel != channel || !strings.Contains(sum.Text, "Not balanced") || !strings.Contains(sum.Text, "Downtown: EMR 45, billing 41, matched 39") {
		t.Errorf("summary text: %q", sum.Text)
	}
	blocks := string(sum.Blocks)
	for _, want := range []string{`"type":"header"`, "Downtown · Not balanced · Mon 11/16 – Fri 11/20", "*EMR visits*\\n45", "*Billing visits*\\n41",
		"*Matched*\\n39", "NORCM: 2 — expected", "Held on Billing Exceptions: 1 — *needs action*", "*What to do next*",
		"*New patients*\\nEMR 3 · billing 3", "charges are held on the Billing Exceptions Report"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("summary blocks lack %q:\n%s", want, blocks)
		}
	}
	var meta struct {
		EventType    string `json:"event_type"`
		EventPayload struct {
			From      string           `json:"from"`
			To        string           `json:"to"`
			Locations []map[string]any `json:"locations"`
		} `json:"event_payload"`
	}
	if err := json.Unmarshal(sum.Metadata, &meta); err != nil {
		t.Fatal(err)
	}
	loc := meta.EventPayload.Locations[0]
	if meta.EventType != "balance_result" || meta.EventPayload.From != "2026-11-16" || meta.EventPayload.To != "2026-11-20" ||
		loc["location"] != "Downtown" || loc["emr_visits"] != 45.0 || loc["billing_visits"] != 41.0 || loc["matched_visits"] != 39.0 ||
		loc["balanced"] != false || loc["reasons"] != "norcm=2,no_charge=1,billing_exception=1,claims_feed_not_rebilled=1,dos_mismatch=2,unexplained=1" {
		t.Errorf("metadata: %s", sum.Metadata)
	}

	// Details in the summary's thread, then the CSV there too.
	var details []string
	for _, m := range e.slack.Messages() {
		if m.ThreadTS == sum.TS {
			details = append(details, string(m.Blocks))
		}
	}
	all := strings.Join(details, "\n")
	if len(details) == 0 || !strings.Contains(all, "Date of service differs") || !strings.Contains(all, "billing only") {
		t.Errorf("thread details: %s", all)
	}
	csv := e.slack.Uploads()[0]
	if csv.Channel != channel || csv.ThreadTS != sum.TS || !strings.HasPrefix(csv.Filename, "balance-downtown-2026-11-16") ||
		!bytes.Contains(csv.Content, []byte("dos_mismatch")) || bytes.Count(csv.Content, []byte("\n")) != 9 {
		t.Errorf("CSV %s in thread %s:\n%s", csv.Filename, csv.ThreadTS, csv.Content)
	}

	// Patients are masked everywhere in Slack, the CSV included.
	for _, m := range e.slack.Messages() {
		for _, name := range patientNames {
			if strings.Contains(m.Text, name) || bytes.Contains(m.Blocks, []byte(name)) {
				t.Errorf("%s leaks %q: %s %s", m.Method, name, m.Text, m.Blocks)
			}
		}
	}
	for _, name := range patientNames {
		if bytes.Contains(csv.Content, []byte(name)) {
			t.Errorf("the CSV leaks %q", name)
		}
	}
	if !strings.Contains(all, "A.K.") || !bytes.Contains(csv.Content, []byte("…622")) {
		t.Errorf("masked patients should show initials and the last digits of the account:\n%s\n%s", all, csv.Content)
	}

	// The upload's own thread says what was read, and links the balance.
	st := e.status(ts)
	for _, want := range []string{":white_check_mark: *emr-billing-report.csv*: EMR Billing Report · Downtown · Mon 11/16 – Fri 11/20 · 45 visits",
		"*charge-audit-summary.xlsx*: Charge Audit Summary · Downtown", "Not balanced, Mon 11/16 – Fri 11/20: <https://fake.slack.com/archives/"} {
		if !strings.Contains(st, want) {
			t.Errorf("status lacks %q:\n%s", want, st)
		}
	}
	reacts := e.slack.Reactions()
	if len(reacts) != 2 || reacts[0].Name != "eyes" || reacts[1].Name != "warning" || reacts[0].TS != ts {
		t.Errorf("reactions: %+v", reacts)
	}
}

func TestBalancedWeek(t *testing.T) {
	e := start(t)
	e.share("", examples(t, "soap2-week")...)
	e.waitFor("the summary", func() bool { return len(e.summaries()) == 1 })
	sum := e.summaries()[0]
	if !strings.Contains(string(sum.Blocks), "Uptown · Balanced · Mon 11/16 – Fri 11/20") || strings.Contains(string(sum.Blocks), "What to do next") {
		t.Errorf("summary: %s", sum.Blocks)
	}
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
}

func TestOneSideThenTheOtherAcrossMessages(t *testing.T) {
	e := start(t)
	_, ts := e.share("", example(t, "soap1-week", "emr-billing-report.csv"))
	e.waitFor("the still-needed reply", func() bool { return strings.Contains(e.status(ts), "Still needed") })
	st := e.status(ts)
	if !strings.Contains(st, "Still needed for *Downtown*, Mon 11/16 – Fri 11/20: the billing side, the *Charge Audit Summary*") ||
		!strings.Contains(st, "EMR Billing Report · Downtown") {
		t.Errorf("status: %s", st)
	}
	if len(e.summaries()) != 0 {
		t.Fatal("a balance was posted with one side only")
	}
	// The other side, in a later message: one balance for both.
	_, ts2 := e.share("", example(t, "soap1-week", "charge-audit-summary.xlsx"))
	e.waitFor("the summary", func() bool { return len(e.summaries()) == 1 })
	if !strings.Contains(e.summaries()[0].Text, "Downtown: EMR 45, billing 41") {
		t.Errorf("summary: %s", e.summaries()[0].Text)
	}
	e.waitFor("the status", func() bool { return strings.Contains(e.status(ts2), "see the balance") })
}

func TestJunkUploadGetsAnAnswerAndLosesNothing(t *testing.T) {
	e := start(t)
	e.share("", example(t, "soap1-week", "emr-billing-report.csv"))
	e.waitFor("the first upload", func() bool { return len(e.slack.Reactions()) >= 2 })

	// A PDF, a binary file and a CSV with an impossible date, together.
	var files []fakeslack.File
	files = append(files, e.slack.AddFile("scan.pdf", []byte("%PDF-1.7 ...")))
	files = append(files, e.slack.AddFile("photo.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")))
	files = append(files, e.slack.AddFile("bad.csv", []byte("Patient,Date of Service,CPT Code,Units\nA B,13/45/2026,97110,1\n")))
	_, ts := e.slack.ShareFiles(channel, user, "", files...)
	e.waitFor("the error reply", func() bool { return strings.Count(e.status(ts), ":x:") == 3 })
	st := e.status(ts)
	for _, want := range []string{
		":x: *scan.pdf*: this is a PDF, which cannot be read as data.",
		"export the report from WebPT as CSV or Excel instead of PDF",
		":x: *photo.png*: this is not a text or Excel file",
		":x: *bad.csv*: row 2: the Date of Service is not a date balancebot can read.", // the cell is never quoted in Slack
	} {
		if !strings.Contains(st, esc(want)) {
			t.Errorf("status lacks %q:\n%s", want, st)
		}
	}
	// What was stored before still counts: the billing side now balances.
	e.share("", example(t, "soap1-week", "charge-audit-summary.xlsx"))
	e.waitFor("the summary", func() bool { return len(e.summaries()) == 1 })
}

// esc mirrors mrkdwn escaping for expectations.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestRedeliveredEventIsProcessedOnce(t *testing.T) {
	e := start(t)
	env, _ := e.share("", examples(t, "soap2-week")...)
	e.waitFor("the ack", func() bool { _, ok := e.slack.Acked(env); return ok })
	e.slack.Redeliver(env, "timeout")
	e.slack.Redeliver(env, "timeout")
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	e.settle()
	if n := len(e.summaries()); n != 1 {
		t.Errorf("%d summaries after redelivery, want 1", n)
	}
	if !strings.Contains(e.logs.String(), "duplicate delivery ignored") {
		t.Error("the redelivery was not recognised")
	}
}

func TestOwnUploadsAreIgnored(t *testing.T) {
	e := start(t)
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	// The fake shares the bot's CSV back as a file_share event, as Slack
	// does; once the bot has acked it and is idle, it has had its chance
	// to (wrongly) react to it.
	e.settle()
	reading := 0
	for _, m := range e.slack.Messages() {
		if strings.Contains(m.Text, "Reading") {
			reading++
		}
	}
	if reading != 1 || len(e.summaries()) != 1 {
		t.Errorf("the bot handled its own upload: %d status messages, %d summaries", reading, len(e.summaries()))
	}
}

func TestDisconnectMidwayLosesNothing(t *testing.T) {
	e := start(t)
	// Slow downloads keep the work in flight while Slack asks for a new
	// connection.
	e.slack.DelayNext("download", 2, 300*time.Millisecond)
	env, ts1 := e.share("", example(t, "soap1-week", "emr-billing-report.csv"), example(t, "soap1-week", "charge-audit-summary.xlsx"))
	e.waitFor("the ack", func() bool { _, ok := e.slack.Acked(env); return ok })
	e.slack.Disconnect()
	e.waitFor("the reconnect", func() bool { return e.slack.Connections() == 2 && e.slack.Connected() })
	// An event sent after the reconnect is handled too.
	_, ts2 := e.share("", example(t, "soap1-week", "claims-feed.csv"))
	e.waitFor("both answers", func() bool {
		return strings.Contains(e.status(ts1), "see the balance") && strings.Contains(e.status(ts2), "see the balance")
	})
	e.settle()
	// One week, one summary: the second message's balance updates the
	// first's (or is balanced with it).
	if n := len(e.summaries()); n != 1 {
		t.Errorf("%d summaries, want one kept current", n)
	}
}

func TestRateLimitIsWaitedOut(t *testing.T) {
	e := start(t)
	e.slack.FailNext("chat.postMessage", 2, 429, 1)
	e.share("", examples(t, "soap2-week")...)
	e.waitFor("the summary", func() bool { return len(e.summaries()) == 1 })
	if !strings.Contains(e.logs.String(), "rate limited by Slack; waiting") {
		t.Error("no sign the 429 was waited out")
	}
}

func TestLogsCarryNoPatientData(t *testing.T) {
	e := start(t)
	_, ts1 := e.share("", examples(t, "soap1-week")...)
	_, ts2 := e.share("", examples(t, "soap2-week")...)
	e.waitFor("both answers", func() bool {
		return strings.Contains(e.status(ts1), "see the balance") && strings.Contains(e.status(ts2), "see the balance")
	})
	e.settle()
	e.stop()
	logs := e.logs.String()
	if !strings.Contains(logs, "upload handled") {
		t.Fatalf("the logs are not what this test thinks they are:\n%s", logs)
	}
	for _, name := range append(patientNames, "Thanh", "Anika", "Maria", "Nora") {
		if strings.Contains(logs, name) {
			t.Errorf("the logs carry the patient name %q", name)
		}
	}
}

func TestConfigNamesTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN is not set"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN is not set"},
		{map[string]string{"SLACK_BOT_TOKEN": "xapp-1", "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN does not look like a Bot User OAuth Token: it should start with xoxb-"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN does not look like a App-Level Token"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "BALANCEBOT_TIMEZONE": "Mars/Base"}, "BALANCEBOT_TIMEZONE \"Mars/Base\" is not a time zone"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "BALANCEBOT_MAX_FILE_MB": "lots"}, "BALANCEBOT_MAX_FILE_MB=\"lots\" is not a valid int"},
	} {
		for _, k := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "BALANCEBOT_TIMEZONE", "BALANCEBOT_MAX_FILE_MB"} {
			t.Setenv(k, tc.env[k])
		}
		_, err := loadConfig()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: got %v, want an error saying %q", tc.env, err, tc.want)
		}
	}
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-1")
	t.Setenv("SLACK_APP_TOKEN", "xapp-1")
	t.Setenv("BALANCEBOT_MAX_FILE_MB", "")
	t.Setenv("BALANCEBOT_TIMEZONE", "America/Chicago")
	t.Setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
	cfg, err := loadConfig()
	if err != nil || cfg.APIURL != "http://127.0.0.1:9/api/" || cfg.MaxFileMB != 100 || cfg.DataDir != "data" {
		t.Errorf("defaults: %+v %v", cfg, err)
	}
}

// zipOf builds a zip of name, data pairs.
func zipOf(pairs ...any) []byte {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for i := 0; i+1 < len(pairs); i += 2 {
		f, _ := zw.Create(pairs[i].(string))
		f.Write(pairs[i+1].([]byte))
	}
	zw.Close()
	return out.Bytes()
}

// The same export shared again, under another name in a later message, is
// recognised by its content (hashed as it downloads) and counts once: the
// balance stays EMR 45, not 90.
func TestSameFileSharedTwiceCountsOnce(t *testing.T) {
	e := start(t)
	emr := example(t, "soap1-week", "emr-billing-report.csv")
	_, ts := e.share("", emr)
	e.waitFor("the first upload's reply", func() bool { return strings.Contains(e.status(ts), "Still needed") })
	data, err := os.ReadFile(emr)
	if err != nil {
		t.Fatal(err)
	}
	_, ts2 := e.shareBytes("emr-again.csv", data)
	e.waitFor("the second upload's reply", func() bool { return strings.Contains(e.status(ts2), ":repeat:") })
	if st := e.status(ts2); !strings.Contains(st, "*emr-again.csv*: the same file as *emr-billing-report.csv*") || !strings.Contains(st, "it counts once") {
		t.Errorf("status: %s", st)
	}
	e.share("", example(t, "soap1-week", "charge-audit-summary.xlsx"))
	e.waitFor("the summary", func() bool { return len(e.summaries()) == 1 })
	if s := e.summaries()[0].Text; !strings.Contains(s, "Downtown: EMR 45, billing 41") {
		t.Errorf("summary: %s", s)
	}
}
