package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/service"
	"github.com/balancebot/balancebot/internal/store"
)

// The smaller faults of issue 12: each gets an answer, once, and none
// leaves Slack or the user waiting.

// TestEveryEnvelopeIsAcked sends frames slack-go cannot turn into events (a
// type it does not know, an events_api envelope whose event cannot be
// parsed): each is acked, or Slack would deliver it again and again.
func TestEveryEnvelopeIsAcked(t *testing.T) {
	e := start(t)
	e.slack.SendRaw(`{"envelope_id":"env-new-type","type":"something_new","payload":{},"accepts_response_payload":false}`)
	e.slack.SendRaw(`{"envelope_id":"env-bad-event","type":"events_api","payload":{"type":"event_callback","event":"not an object"},"accepts_response_payload":false}`)
	for _, id := range []string{"env-new-type", "env-bad-event"} {
		e.waitFor("the ack of "+id, func() bool { _, ok := e.slack.Acked(id); return ok })
	}
	// The bot goes on working.
	e.share("", examples(t, "soap2-week")...)
	e.waitFor("the summary", func() bool { return len(e.summaries()) == 1 })
}

// TestShareWithoutFiles: a file_share that comes without its files gets one
// plain answer, not a progress reply it can never complete.
func TestShareWithoutFiles(t *testing.T) {
	e := start(t)
	_, ts := e.slack.ShareFiles(channel, user, "here is the week")
	e.waitFor("the answer", func() bool { return strings.Contains(e.replies(ts), "came without any file") })
	e.settle()
	if r := e.replies(ts); strings.Contains(r, "Reading") || strings.Count(r, "\n") != 1 {
		t.Errorf("want one answer in the thread, got:\n%s", r)
	}
	for _, m := range e.slack.Messages() {
		if m.Method == "chat.update" && m.Text == "" {
			t.Errorf("an update with no text: %+v", m)
		}
	}
}

// TestLongSlashArgumentIsAcked: /balance with a 25,000-character word is
// acked with the usage, within Slack's 20 KB ack limit.
func TestLongSlashArgumentIsAcked(t *testing.T) {
	e := start(t)
	ack := e.slash("week" + strings.Repeat("x", 25000))
	if len(ack.Payload) >= 20<<10 || !strings.Contains(ackText(ack), "I don't know") || !strings.Contains(ackText(ack), "/balance week") {
		t.Errorf("ack of %d bytes: %.200s", len(ack.Payload), ackText(ack))
	}
}

// TestStalledCallIsRetried: a chat.postMessage that Slack never answers is
// given up after BALANCEBOT_SLACK_TIMEOUT and tried again; the summary comes.
func TestStalledCallIsRetried(t *testing.T) {
	e := start(t, func(c *Config) { c.SlackTimeout = 300 * time.Millisecond })
	e.slack.DelayNext("chat.postMessage", 1, time.Minute)
	e.share("", examples(t, "soap2-week")...)
	e.waitFor("the summary", func() bool { return len(e.summaries()) == 1 })
	if !strings.Contains(e.logs.String(), "Slack call failed; retrying") {
		t.Error("the stalled call was not given up and retried")
	}
}

// TestShutdownGraceFitsDockerStop: by default a stop waits 8 s for work in
// flight, inside docker stop's 10 s (what is not done resumes on start:
// TestStopMidUploadResumesOnStart).
func TestShutdownGraceFitsDockerStop(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-test")
	t.Setenv("SLACK_APP_TOKEN", "xapp-test")
	t.Setenv("BALANCEBOT_SHUTDOWN_GRACE", "")
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ShutdownGrace != 8*time.Second || cfg.SlackTimeout != 30*time.Second {
		t.Errorf("grace %v, Slack timeout %v", cfg.ShutdownGrace, cfg.SlackTimeout)
	}
}

// replies lists the messages posted in a thread, one a line.
func (e *env) replies(thread string) string {
	var b strings.Builder
	for _, m := range e.slack.Messages() {
		if m.Method == "chat.postMessage" && m.ThreadTS == thread {
			b.WriteString(m.Text + "\n")
		}
	}
	return b.String()
}

// TestUploadThatKeepsCrashingIsSetAside: an upload whose three attempts
// started and never ended (each took the process down: the store is left
// as three crashes leave it) is set aside on the next start, with a word
// in its thread, and the channel goes on.
func TestUploadThatKeepsCrashingIsSetAside(t *testing.T) {
	e := start(t)
	e.stop()
	db, err := store.Open(context.Background(), filepath.Join(e.dir, "balancebot.db"))
	if err != nil {
		t.Fatal(err)
	}
	f := e.slack.AddFile("bomb.xlsx", []byte("PK\x03\x04 not really"))
	ts := e.slack.TS()
	payload, _ := json.Marshal(map[string]any{"EventID": "Ev-crash", "Channel": channel, "User": user, "TS": ts,
		"Files": []map[string]any{{"id": f.ID, "name": f.Name, "url_private_download": f.URLPrivateDownload, "size": f.Size}}})
	job := &service.Job{EventID: "Ev-crash", Channel: channel, Payload: payload}
	if _, err := db.AddJob(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	job.Attempts = 3 // started three times, ended never
	if err := db.UpdateJob(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	db.Close()

	e.boot()
	e.waitFor("the word in its thread", func() bool { return strings.Contains(e.replies(ts), "reading them stopped balancebot 3 times") })
	if n := e.slack.Calls("download"); n != 0 {
		t.Errorf("the files were downloaded again %d times", n)
	}
	// The channel goes on.
	e.share("", examples(t, "soap2-week")...)
	e.waitFor("the next summary", func() bool { return len(e.summaries()) == 1 })
	e.settle()
	if n := strings.Count(e.replies(ts), "stopped balancebot"); n != 1 {
		t.Errorf("%d words about the set-aside upload, want 1", n)
	}
}

// TestManyPartZipBombGetsAnAnswer shares a workbook of 70 parts of 4 MB
// (280 MB unpacked, each part too small for the compression check): the
// bot refuses it from its directory with a clear answer, and goes on.
func TestManyPartZipBombGetsAnAnswer(t *testing.T) {
	e := start(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	part := make([]byte, 4<<20)
	for i := range 70 {
		w, err := zw.Create(fmt.Sprintf("xl/media/part%03d.bin", i))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(part)
	}
	zw.Close()
	_, ts := e.shareBytes("week.xlsx", buf.Bytes())
	e.waitFor("the answer", func() bool {
		return strings.Contains(e.status(ts), "parts add up to more than 256 MB to hold in memory")
	})
	e.share("", examples(t, "soap2-week")...)
	e.waitFor("the next summary", func() bool { return len(e.summaries()) == 1 })
}

// TestLostAnswersPostOnce loses the answer of one chat.postMessage after
// Slack did the work (the progress reply, the summary, the first details
// message): the bot looks for its post before trying again, adopts it, and
// the channel ends with one of each.
func TestLostAnswersPostOnce(t *testing.T) {
	for _, c := range []struct {
		name, method string
		nth          int
	}{{"the progress reply", "chat.postMessage", 1}, {"the summary", "chat.postMessage", 2},
		{"the first details message", "chat.postMessage", 3}, {"the CSV", "files.completeUploadExternal", 1}} {
		t.Run(c.name, func(t *testing.T) {
			e := start(t)
			e.slack.LoseAnswer(c.method, c.nth)
			_, ts := e.share("", examples(t, "soap1-week")...)
			e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) >= 1 })
			e.waitFor("the answer", func() bool { return strings.Contains(e.status(ts), "see the balance") })
			e.settle()
			if n := len(e.summaries()); n != 1 {
				t.Errorf("%d summaries", n)
			}
			if n := strings.Count(e.replies(ts), "Reading"); n != 1 {
				t.Errorf("%d progress replies", n)
			}
			seen := map[string]int{}
			for _, m := range e.slack.Messages() {
				if m.Method == "chat.postMessage" && m.ThreadTS != "" && m.ThreadTS != ts {
					seen[m.Text]++
				}
			}
			for text, n := range seen {
				if n > 1 {
					t.Errorf("%q posted %d times in the summary's thread", text, n)
				}
			}
			if len(seen) == 0 {
				t.Error("no details in the summary's thread")
			}
			if n := len(e.slack.Uploads()); n != 1 {
				t.Errorf("%d CSVs", n)
			}
			if !strings.Contains(e.logs.String(), "already made was found and adopted") && !strings.Contains(e.logs.String(), "a file already shared was found") {
				t.Error("the lost post was not looked for")
			}
		})
	}
}
