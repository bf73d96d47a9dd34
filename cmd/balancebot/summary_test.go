package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/rules"
)

// threadPosts returns the messages and files in a summary's thread.
func (e *env) threadPosts(ts string) (posts, files int) {
	for _, m := range e.slack.Messages() {
		if m.Method == "chat.postMessage" && m.ThreadTS == ts {
			posts++
		}
	}
	for _, u := range e.slack.Uploads() {
		if u.ThreadTS == ts {
			files++
		}
	}
	return posts, files
}

// TestBalanceWeekUpdatesTheSummaryInPlace runs /balance week right after
// an upload's balance of the same week: the summary is updated in place,
// the private answer links to it, and the thread gets nothing again (the
// balance did not change).
func TestBalanceWeekUpdatesTheSummaryInPlace(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 23, 10, 0, 0, 0, chicago))
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the upload's balance", func() bool { return len(e.summaries()) == 1 })
	e.settle()
	sum := e.summaries()[0]
	posts, files := e.threadPosts(sum.TS)
	if posts == 0 || files != 1 {
		t.Fatalf("the first thread: %d posts, %d files", posts, files)
	}

	e.clock.Advance(10 * time.Minute)
	e.slash("week 2026-11-16")
	resp := e.response(1)
	e.settle()
	if n := len(e.summaries()); n != 1 {
		t.Errorf("%d summaries after /balance week, want the one kept current", n)
	}
	bals := e.balances()
	if len(bals) != 2 || bals[1].Method != "chat.update" || bals[1].TS != sum.TS {
		t.Fatalf("the balance did not update the summary in place: %+v", bals)
	}
	if !strings.Contains(resp, "p"+strings.ReplaceAll(sum.TS, ".", "")) {
		t.Errorf("the private answer does not link to the summary:\n%s", resp)
	}
	if p, f := e.threadPosts(sum.TS); p != posts || f != files {
		t.Errorf("the thread got %d posts and %d files again; nothing changed", p-posts, f-files)
	}
}

// TestLaterBalanceSupersedesAnOlderSummary balances a week, then the same
// week again past the update window: a new summary is posted, and the old
// one says it was superseded, with a link to the new one, its figures kept.
func TestLaterBalanceSupersedesAnOlderSummary(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 23, 10, 0, 0, 0, chicago))
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the upload's balance", func() bool { return len(e.summaries()) == 1 })
	e.settle()
	old := e.summaries()[0]

	e.clock.Advance(2 * time.Hour)
	e.slash("week 2026-11-16")
	e.response(1)
	e.settle()
	sums := e.summaries()
	if len(sums) != 2 {
		t.Fatalf("%d summaries, want a new one past the window", len(sums))
	}
	var marked string
	for _, m := range e.slack.Messages() {
		if m.Method == "chat.update" && m.TS == old.TS {
			marked = blocksJSON(m)
		}
	}
	link := "p" + strings.ReplaceAll(sums[1].TS, ".", "")
	if !strings.Contains(marked, "*Superseded* by a later balance of Mon 11/16 – Fri 11/20") || !strings.Contains(marked, link) ||
		!strings.Contains(marked, "Downtown · Not balanced") {
		t.Errorf("the old summary is not marked superseded with a link and its figures:\n%s", marked)
	}
	// Only the new summary is current: a third balance updates it, not
	// the old one.
	got, err := e.main.DB.Summaries(context.Background(), channel, rules.Period{From: rules.DateOf(2026, 11, 16), To: rules.DateOf(2026, 11, 20)})
	if err != nil || len(got) != 1 || got[0].TS != sums[1].TS {
		t.Errorf("current summaries: %+v %v", got, err)
	}
}

// TestTwoWeeksAtOnceGetASummaryEach shares two weeks' exports in two
// messages at once: however they are batched, each week gets its own
// summary, and each message its answer.
func TestTwoWeeksAtOnceGetASummaryEach(t *testing.T) {
	e := start(t)
	patients := []string{"Smith, John", "Doe, Jane"}
	emr1, cas1 := dayExports(t, 17, patients)
	emr2, cas2 := dayExports(t, 24, patients, "Doe, Jane")
	_, ts1 := e.share("", emr1, cas1)
	_, ts2 := e.share("", emr2, cas2)
	e.waitFor("both answers", func() bool {
		return strings.Contains(e.status(ts1), "see the balance") && strings.Contains(e.status(ts2), "see the balance")
	})
	e.settle()
	sums := e.summaries()
	if len(sums) != 2 {
		t.Fatalf("%d summaries, want one a week:\n%s", len(sums), e.dump())
	}
	if !strings.Contains(e.status(ts1), "Balanced, Tue 11/17") || !strings.Contains(e.status(ts2), "Not balanced, Tue 11/24") {
		t.Errorf("each message's answer should be its week's:\n%s\n%s", e.status(ts1), e.status(ts2))
	}
}
