package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/fakeslack"
	"github.com/balancebot/balancebot/internal/pgtest"
	"github.com/balancebot/balancebot/internal/slackbot"
	"github.com/balancebot/balancebot/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// replica is a balancebot process, as a container runs it.
type replica struct {
	name string
	cmd  *exec.Cmd
	logs *syncBuffer
}

// count returns how many of the replica's log lines contain s.
func (r *replica) count(s string) int { return strings.Count(r.logs.String(), s) }

// buildBalancebot builds the binary the replicas run.
func buildBalancebot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "balancebot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startReplica(t *testing.T, bin, name string, env ...string) *replica {
	t.Helper()
	r := &replica{name: name, logs: &syncBuffer{}}
	r.cmd = exec.Command(bin, "run")
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Env = append(r.cmd.Env, "BALANCEBOT_REPLICA_ID="+name, "BALANCEBOT_DATA_DIR="+t.TempDir())
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Signal(syscall.SIGTERM)
			r.cmd.Wait()
		}
	})
	return r
}

// TestReplicasShareTheWork runs three balancebot processes on one
// PostgreSQL against a fake Slack that spreads envelopes across their
// connections and redelivers some to another connection. A burst of
// uploads in four channels gets one answer each; a reminder slot due to
// all three is sent once; and when the replica handling an upload is
// killed (SIGKILL) mid-job, another finishes it.
func TestReplicasShareTheWork(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	// A weekly reminder last sent two weeks ago: each replica's start
	// finds the slot missed since, and one sends it.
	db, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	lastSent := time.Date(2026, 11, 16, 9, 0, 0, 0, chicago)
	if err := db.SetReminder(ctx, slackbot.ReminderWeekly, "CREMIND", lastSent); err != nil {
		t.Fatal(err)
	}
	db.Close()

	fs := fakeslack.New(fakeslack.Options{EchoBotUploads: true, Connections: true})
	t.Cleanup(fs.Close)
	bin := buildBalancebot(t)
	vars := []string{"SLACK_BOT_TOKEN=xoxb-test", "SLACK_APP_TOKEN=xapp-test", "SLACK_API_URL=" + fs.URL,
		"BALANCEBOT_DATABASE_URL=" + url, "BALANCEBOT_JOB_LEASE=4s", "BALANCEBOT_HEALTH_ADDR=127.0.0.1:0",
		"BALANCEBOT_TIMEZONE=America/Chicago", "BALANCEBOT_REMINDER_CHANNELS=CREMIND", "BALANCEBOT_THREAD_QUIET=500ms",
		"BALANCEBOT_LOG_LEVEL=info"}
	var replicas []*replica
	for i := range 3 {
		replicas = append(replicas, startReplica(t, bin, fmt.Sprintf("r%d", i+1), vars...))
	}
	e := &env{t: t, slack: fs, logs: &syncBuffer{}}
	dump := func() string {
		out := e.dump()
		for _, r := range replicas {
			out += "\n--- " + r.name + ":\n" + r.logs.String()
		}
		return out
	}
	waitFor := func(what string, timeout time.Duration, cond func() bool) {
		t.Helper()
		if !fs.WaitFor(timeout, cond) {
			t.Fatalf("timed out waiting for %s:\n%s", what, dump())
		}
	}
	waitFor("three connections", 20*time.Second, func() bool { return fs.OpenConnections() == 3 })

	// The burst: both example weeks in each of four channels, eight
	// messages, three of them redelivered to another connection.
	type sent struct{ env, ts string }
	var shares []sent
	for c := range 4 {
		ch := fmt.Sprintf("CGROUP%d", c+1)
		for _, week := range []string{"soap1-week", "soap2-week"} {
			var files []fakeslack.File
			for _, p := range examples(t, week) {
				data, _ := os.ReadFile(p)
				files = append(files, fs.AddFile(filepath.Base(p), data))
			}
			id, ts := fs.ShareFiles(ch, user, "", files...)
			shares = append(shares, sent{id, ts})
		}
	}
	for _, s := range shares[:3] {
		fs.Redeliver(s.env, "timeout")
	}
	waitFor("every message's answer", 90*time.Second, func() bool {
		for _, s := range shares {
			if !strings.Contains(e.status(s.ts), "see the balance") {
				return false
			}
		}
		return true
	})
	reading := map[string]int{}
	for _, m := range fs.Messages() {
		if m.Method == "chat.postMessage" && strings.Contains(m.Text, "Reading") {
			reading[m.ThreadTS]++
		}
	}
	for _, s := range shares {
		if reading[s.ts] != 1 {
			t.Errorf("message %s got %d progress replies, want 1", s.ts, reading[s.ts])
		}
	}
	dups, handled := 0, map[string]int{}
	for _, r := range replicas {
		dups += r.count("duplicate delivery ignored")
		handled[r.name] = r.count(`"msg":"upload handled"`)
	}
	if dups != 3 {
		t.Errorf("%d redeliveries ignored as duplicates, want the 3 sent", dups)
	}
	perChannel := map[string]int{}
	for _, s := range e.summaries() {
		perChannel[s.Channel]++
	}
	for c := range 4 {
		if n := perChannel[fmt.Sprintf("CGROUP%d", c+1)]; n != 1 {
			t.Errorf("CGROUP%d has %d summaries, want one for its week", c+1, n)
		}
	}
	t.Logf("burst: %d uploads, %d answered once each, %d redeliveries ignored; handled per replica: %v", len(shares), len(shares), dups, handled)

	// A slash command redelivered to another connection is answered once.
	cmdEnv := fs.SlashCommand("/balance", "status", "CGROUP1", user)
	waitFor("the command's ack", 20*time.Second, func() bool { _, ok := fs.Acked(cmdEnv); return ok })
	fs.Redeliver(cmdEnv, "timeout")
	waitFor("the redelivered command to be ignored", 20*time.Second, func() bool {
		n := 0
		for _, r := range replicas {
			n += r.count("duplicate delivery ignored")
		}
		return n == dups+1
	})
	waitFor("the command's answer", 20*time.Second, func() bool { return len(fs.Responses()) >= 1 })
	if n := len(fs.Responses()); n != 1 {
		t.Errorf("/balance status redelivered got %d answers, want 1", n)
	}

	// The reminder slot due to all three went out once.
	reminders := 0
	for _, m := range fs.Messages() {
		if m.Channel == "CREMIND" && m.Method == "chat.postMessage" && m.ThreadTS == "" {
			reminders++
		}
	}
	if reminders != 1 {
		t.Errorf("%d reminders sent for one slot, want 1:\n%s", reminders, dump())
	}

	// A replica killed mid-job: its download hangs, it is killed, and
	// another replica resumes the upload once the lease runs out.
	fs.DelayNext("download", 1, 20*time.Second)
	downloads := fs.Calls("download")
	before := map[string]int{}
	for _, r := range replicas {
		before[r.name] = r.count(`"msg":"files shared"`)
	}
	var files []fakeslack.File
	for _, p := range examples(t, "soap2-week") {
		data, _ := os.ReadFile(p)
		files = append(files, fs.AddFile(filepath.Base(p), data))
	}
	_, ts := fs.ShareFiles("CKILL", user, "", files...)
	var victim *replica
	waitFor("a replica to take the upload", 20*time.Second, func() bool {
		for _, r := range replicas {
			if r.count(`"msg":"files shared"`) > before[r.name] {
				victim = r
				return true
			}
		}
		return false
	})
	// Killed while its download hangs: the delay is spent on it, not on
	// the replica that takes over.
	waitFor("its download to start", 20*time.Second, func() bool { return fs.Calls("download") > downloads })
	victim.cmd.Process.Kill()
	victim.cmd.Wait()
	killed := time.Now()
	waitFor("another replica to finish the upload", 60*time.Second, func() bool { return strings.Contains(e.status(ts), "see the balance") })
	takeover := time.Since(killed)
	var heir string
	for _, r := range replicas {
		if r != victim && r.count("resuming an upload") > 0 {
			heir = r.name
		}
	}
	if heir == "" {
		t.Errorf("no other replica says it resumed the upload:\n%s", dump())
	}
	if takeover > time.Minute {
		t.Errorf("the upload was taken over %v after its replica died, want within a minute", takeover)
	}
	n := 0
	for _, m := range fs.Messages() {
		if m.Method == "chat.postMessage" && m.ThreadTS == ts {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the killed replica's upload has %d replies, want its one progress reply, updated", n)
	}
	t.Logf("kill: %s killed mid-job, %s finished the upload %.1f s later (lease 4 s)", victim.name, heir, takeover.Seconds())
}

// TestMigrateCommand copies a bot's SQLite store into PostgreSQL with
// `balancebot migrate --to`, then runs the bot on PostgreSQL: what the
// SQLite store held is there (a balance of its uploads).
func TestMigrateCommand(t *testing.T) {
	e := start(t)
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the balance", func() bool { return len(e.summaries()) == 1 })
	e.settle()
	e.stop()

	url := pgtest.URL(t)
	t.Setenv("BALANCEBOT_DATA_DIR", e.dir)
	var out, errb strings.Builder
	if code := run([]string{"migrate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage: balancebot migrate --to") {
		t.Errorf("migrate without --to: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"migrate", "--to", url}, &out, &errb); code != 0 {
		t.Fatalf("migrate: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "uploads 5,") || !strings.Contains(out.String(), "Set BALANCEBOT_DATABASE_URL") {
		t.Errorf("migrate said %q", out.String())
	}
	errb.Reset()
	if code := run([]string{"migrate", "--to", url}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "copy into an empty database") {
		t.Errorf("a second migrate: %d %q", code, errb.String())
	}

	e.opts = append(e.opts, func(c *Config) { c.DatabaseURL = url })
	e.dir = t.TempDir() // nothing left on SQLite to fall back on
	e.boot()
	e.slash("week 2026-11-16")
	e.waitFor("a balance from the migrated store", func() bool { return len(e.balances()) == 2 })
	e.settle()
}
