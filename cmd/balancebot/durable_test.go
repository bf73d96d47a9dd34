package main

import (
	"strings"
	"testing"
	"time"
)

// readingPosts counts the progress replies the bot posted.
func (e *env) readingPosts() int {
	n := 0
	for _, m := range e.slack.Messages() {
		if m.Method == "chat.postMessage" && strings.Contains(m.Text, "Reading") {
			n++
		}
	}
	return n
}

// TestStopMidUploadResumesOnStart stops the bot while it downloads: the
// upload was acknowledged to Slack, so after the restart it is finished,
// with one answer in the same progress reply and one balance.
func TestStopMidUploadResumesOnStart(t *testing.T) {
	e := start(t, func(c *Config) { c.ShutdownGrace = 100 * time.Millisecond })
	e.slack.DelayNext("download", 1, 3*time.Second)
	env, ts := e.share("", examples(t, "soap1-week")...)
	e.waitFor("the progress reply", func() bool { return e.readingPosts() == 1 })
	e.waitFor("the ack", func() bool { _, ok := e.slack.Acked(env); return ok })
	e.stop()
	if n := len(e.summaries()); n != 0 {
		t.Fatalf("%d summaries before the restart", n)
	}
	if !strings.Contains(e.logs.String(), "it resumes on the next start") {
		t.Errorf("the shutdown did not leave the work for the next start:\n%s", e.logs.String())
	}

	e.boot()
	e.waitFor("the resumed balance", func() bool { return len(e.summaries()) == 1 && strings.Contains(e.status(ts), "see the balance") })
	e.settle()
	if n, r := len(e.summaries()), e.readingPosts(); n != 1 || r != 1 {
		t.Errorf("after the restart: %d summaries, %d progress replies; want one of each", n, r)
	}
	if !strings.Contains(e.logs.String(), "resuming an upload") {
		t.Error("the upload was not resumed")
	}
}

// TestCrashAfterPostingDoesNotPostTwice fails the last step (updating the
// progress reply) after the balance, its details and its CSV are posted;
// the job stays pending, and the resumed job finds its posts (their marks,
// the CSV by name) and posts none of them again.
func TestCrashAfterPostingDoesNotPostTwice(t *testing.T) {
	e := start(t)
	e.slack.FailNext("chat.update", 100, 503, 0)
	_, ts := e.share("", examples(t, "soap1-week")...)
	e.waitFor("the balance", func() bool { return len(e.summaries()) == 1 && len(e.slack.Uploads()) == 1 })
	e.waitFor("the failed answer", func() bool { return strings.Contains(e.logs.String(), "upload not finished; it will be resumed") })
	e.stop()
	e.slack.FailNext("chat.update", 0, 0, 0)
	threadPosts := func() int {
		n := 0
		for _, m := range e.slack.Messages() {
			if m.Method == "chat.postMessage" && m.ThreadTS != "" && m.ThreadTS != ts {
				n++
			}
		}
		return n
	}
	details := threadPosts()

	e.boot()
	e.waitFor("the answer", func() bool { return strings.Contains(e.status(ts), "see the balance") })
	e.settle()
	if n := len(e.summaries()); n != 1 {
		t.Errorf("%d summaries; a resumed upload must not post its balance twice", n)
	}
	if n := len(e.slack.Uploads()); n != 1 {
		t.Errorf("%d CSVs", n)
	}
	if n := threadPosts(); n != details {
		t.Errorf("%d details messages after the restart, %d before", n, details)
	}
}

// TestRedeliveryAfterRestartIsIgnored redelivers an event the bot handled
// before a restart: the record of it survives the restart.
func TestRedeliveryAfterRestartIsIgnored(t *testing.T) {
	e := start(t)
	env, _ := e.share("", examples(t, "soap2-week")...)
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	e.restart()
	e.slack.Redeliver(env, "timeout")
	e.waitFor("the redelivery to be seen", func() bool { return strings.Count(e.logs.String(), "duplicate delivery ignored") >= 1 })
	if n := len(e.summaries()); n != 1 {
		t.Errorf("%d summaries", n)
	}
}

// TestRetriesWaitOnTheClock fails the summary's post once: the bot waits
// out its backoff on the injected clock, so nothing is posted until the
// clock moves, and the post goes through once it has.
func TestRetriesWaitOnTheClock(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 24, 10, 0, 0, 0, chicago))
	e.slack.FailNext("chat.postMessage", 1, 503, 0)
	waiting := e.clock.Waiters()
	before := e.slack.Calls("chat.postMessage")
	e.share("", examples(t, "soap2-week")...)
	// The progress reply is the first post to fail; the bot then waits.
	e.waitFor("the bot to wait out the failure", func() bool {
		return e.clock.Waiters() > waiting && e.slack.Calls("chat.postMessage") > before
	})
	if n := e.slack.Calls("chat.postMessage"); n != before+1 {
		t.Errorf("%d posts while the bot waits on the clock, want the one that failed", n-before)
	}
	// Other waiters (the resume timer, the scheduler) count too, so the
	// retry's own wait may register just after the count rose: the clock
	// moves on in steps of the retry wait until the summary is posted.
	e.waitFor("the summary after the wait", func() bool {
		e.clock.Advance(e.main.MaxRetryWait)
		return len(e.summaries()) == 1
	})
}
