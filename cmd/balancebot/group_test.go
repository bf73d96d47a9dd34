package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/exportgen"
	"github.com/balancebot/balancebot/internal/exports"
	"github.com/balancebot/balancebot/internal/fakeslack"
	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/slackbot"
)

// A 100-clinic group in one channel (issue 14), against a fake Slack that
// enforces Slack's own rate limits at Slack's speed, with the bot pacing
// itself as it does in production.

// group is a generated period of a group's exports: the whole pair, the
// same visits as one pair per clinic, and each clinic's figures as the
// engine balances the whole pair offline.
type group struct {
	emr, billing []byte
	clinics      []clinicFiles
	want         map[string]rules.Location
}

type clinicFiles struct {
	name         string
	emr, billing []byte
}

// makeGroup generates n clinics' exports: about 600 CPT lines a clinic, so
// every clinic has visits on every day of the period.
func makeGroup(tb testing.TB, n int) *group {
	tb.Helper()
	var emr, billing bytes.Buffer
	cfg := exportgen.DefaultConfig(600 * n)
	cfg.Locations = n
	if _, err := exportgen.Generate(&emr, &billing, cfg); err != nil {
		tb.Fatal(err)
	}
	g := &group{emr: emr.Bytes(), billing: billing.Bytes(), want: map[string]rules.Location{}}
	// The location is the EMR's third column and billing's fourth.
	emrBy, emrHead := splitBy(tb, g.emr, 2)
	billBy, billHead := splitBy(tb, g.billing, 3)
	for i := range n {
		loc := fmt.Sprintf("Clinic %03d", i+1)
		slug := strings.ReplaceAll(strings.ToLower(loc), " ", "-")
		g.clinics = append(g.clinics, clinicFiles{name: slug,
			emr: writeCSV(tb, emrHead, emrBy[loc]), billing: writeCSV(tb, billHead, billBy[loc])})
	}
	// What is right, from the engine on the whole pair.
	var reports []*engine.Report
	for name, data := range map[string][]byte{"emr.csv": g.emr, "cas.csv": g.billing} {
		rep, err := exports.Read(name, bytes.NewReader(data), exports.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		reports = append(reports, rep)
	}
	res, err := engine.Reconcile(reports, rules.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range res.Locations {
		g.want[l.Location] = l
	}
	if len(g.want) != n {
		tb.Fatalf("the generated group has %d locations, want %d", len(g.want), n)
	}
	return g
}

func splitBy(tb testing.TB, data []byte, col int) (map[string][][]string, []string) {
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][][]string{}
	for _, r := range rows[1:] {
		out[r[col]] = append(out[r[col]], r)
	}
	return out, rows[0]
}

func writeCSV(tb testing.TB, head []string, rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(head)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// groupRun is what one way of sharing the group's period gave.
type groupRun struct {
	// toSummary is from the last upload to the last share's answer
	// linking the summary (the summary then holds every clinic);
	// toThread from the last upload to the thread's last message or file.
	toSummary, toThread time.Duration
	summaries           int
	posts, updates      int // chat.postMessage and file shares; chat.update
	rateLimited         int
	violations          []string
	// wrong lists the clinics whose figures in the thread's locations
	// CSV differ from the engine's.
	wrong []string
}

func (r groupRun) String() string {
	return fmt.Sprintf("summary %.1f s after the last upload, thread complete %.1f s after; %d summaries, %d posts, %d updates, %d 429s, %d limit violations, %d clinics wrong",
		r.toSummary.Seconds(), r.toThread.Seconds(), r.summaries, r.posts, r.updates, r.rateLimited, len(r.violations), len(r.wrong))
}

// startAtSlackSpeed starts the bot against a fake Slack enforcing Slack's
// limits at Slack's own speed, the bot pacing as in production.
func startAtSlackSpeed(tb testing.TB) *env {
	tb.Helper()
	limits := fakeslack.SlackLimits()
	fs := fakeslack.New(fakeslack.Options{EchoBotUploads: true, Limits: &limits})
	tb.Cleanup(fs.Close)
	e := &env{t: tb, slack: fs, logs: &syncBuffer{}, dir: tb.TempDir(), pace: slackbot.SlackPace()}
	e.boot()
	// A bot that has run a while, as in production: one just started
	// paces its first posts slower, not knowing what the process before
	// it spent.
	time.Sleep(2 * time.Second)
	return e
}

// shareGroup shares the group's period in messages (1: the whole pair in
// one message; more: the clinics' pairs spread over them, 10 files at most
// a message as Slack's client allows), gap apart, as a billing office
// does, and measures what the channel got.
func shareGroup(tb testing.TB, e *env, g *group, messages int, gap time.Duration) groupRun {
	tb.Helper()
	var batches [][]fakeslack.File
	if messages == 1 {
		batches = [][]fakeslack.File{{e.slack.AddFile("emr-billing-report.csv", g.emr), e.slack.AddFile("charge-audit-summary.csv", g.billing)}}
	} else {
		per := (len(g.clinics) + messages - 1) / messages
		for i := 0; i < len(g.clinics); i += per {
			var files []fakeslack.File
			for _, c := range g.clinics[i:min(i+per, len(g.clinics))] {
				files = append(files, e.slack.AddFile(c.name+"-emr.csv", c.emr), e.slack.AddFile(c.name+"-cas.csv", c.billing))
			}
			batches = append(batches, files)
		}
	}
	var shares []string
	var last time.Time
	for i, files := range batches {
		if i > 0 {
			time.Sleep(gap) // the user's pace, not a wait for the bot
		}
		_, ts := e.slack.ShareFiles(channel, user, "", files...)
		shares = append(shares, ts)
		last = time.Now()
	}
	var run groupRun
	answered := func() bool {
		for _, ts := range shares {
			if !strings.Contains(e.status(ts), "see the balance") {
				return false
			}
		}
		return true
	}
	if !e.slack.WaitFor(3*time.Minute, answered) {
		tb.Fatalf("not every share was answered; messages:\n%s", e.dump())
	}
	run.toSummary = time.Since(last)
	if !e.slack.WaitFor(3*time.Minute, func() bool { return e.slack.Settled() && e.main.Bot.Idle() }) {
		tb.Fatalf("the bot did not settle; messages:\n%s", e.dump())
	}
	sums := e.summaries()
	run.summaries = len(sums)
	var end time.Time
	for _, m := range e.slack.Messages() {
		switch m.Method {
		case "chat.postMessage":
			run.posts++
		case "chat.update":
			run.updates++
		}
		if len(sums) > 0 && m.ThreadTS == sums[0].TS && m.At.After(end) {
			end = m.At
		}
	}
	var locs *fakeslack.Upload
	for _, u := range e.slack.Uploads() {
		run.posts++
		if len(sums) > 0 && u.ThreadTS == sums[0].TS {
			end = maxTime(end, u.At)
			if strings.HasPrefix(u.Filename, "balance-locations-") {
				locs = &u
			}
		}
	}
	run.toThread = end.Sub(last)
	for _, n := range e.slack.RateLimited() {
		run.rateLimited += n
	}
	run.violations = e.slack.Violations()
	run.wrong = checkLocationsCSV(g, locs)
	return run
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// checkLocationsCSV returns the clinics whose figures in the locations
// CSV are not the engine's (or are missing).
func checkLocationsCSV(g *group, u *fakeslack.Upload) []string {
	if u == nil {
		return []string{"(no locations CSV in the thread)"}
	}
	rows, err := csv.NewReader(bytes.NewReader(u.Content)).ReadAll()
	if err != nil || len(rows) == 0 {
		return []string{"(the locations CSV does not read: " + fmt.Sprint(err) + ")"}
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	seen := map[string]bool{}
	var wrong []string
	for _, r := range rows[1:] {
		loc := r[col["location"]]
		seen[loc] = true
		w, ok := g.want[loc]
		got := func(name string) int { n, _ := strconv.Atoi(r[col[name]]); return n }
		if !ok || got("emr_visits") != w.EMRVisits || got("billing_visits") != w.BillingVisits || got("matched_visits") != w.MatchedVisits ||
			got("needs_action") != w.ActionCount() || (r[col["balanced"]] == "yes") != w.Balanced {
			wrong = append(wrong, fmt.Sprintf("%s (got %v, want emr %d billing %d matched %d action %d balanced %v)", loc, r,
				w.EMRVisits, w.BillingVisits, w.MatchedVisits, w.ActionCount(), w.Balanced))
		}
	}
	for loc := range g.want {
		if !seen[loc] {
			wrong = append(wrong, loc+" (missing)")
		}
	}
	slices.Sort(wrong)
	return wrong
}

// groupWays are the two ways the issue shares the group's period.
var groupWays = []struct {
	name     string
	messages int
}{{"one-pair", 1}, {"20-messages", 20}}

// TestGroupOf100Clinics shares a 100-clinic group's period both ways the
// issue names, at Slack's speed: as one pair of files, and as 100 clinic
// pairs in 20 messages of 10 files a second apart. Each way gives one
// summary, every clinic's figures right, nothing Slack refuses, no 429,
// and the thread complete within 30 s of the last upload.
func TestGroupOf100Clinics(t *testing.T) {
	g := makeGroup(t, 100)
	for _, c := range groupWays {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := startAtSlackSpeed(t)
			run := shareGroup(t, e, g, c.messages, time.Second)
			t.Log(run)
			if run.summaries != 1 {
				t.Errorf("%d summaries, want 1:\n%s", run.summaries, e.dump())
			}
			if len(run.wrong) > 0 {
				t.Errorf("clinics whose figures are wrong in the thread: %v", run.wrong)
			}
			if run.rateLimited > 0 || len(run.violations) > 0 {
				t.Errorf("%d 429s (%v); violations: %v", run.rateLimited, e.slack.RateLimited(), run.violations)
			}
			if run.toThread > 30*time.Second {
				t.Errorf("the thread took %v after the last upload, want 30 s at most", run.toThread)
			}
		})
	}
}

// BenchmarkGroupOf100Clinics reports, for each way of sharing the group's
// period, the seconds from the last upload to the summary and to the
// thread's end, the messages posted and updated, and the 429s. Each run
// takes Slack's own time (tens of seconds): run it with -benchtime=1x, or
// -count to take a median.
func BenchmarkGroupOf100Clinics(b *testing.B) {
	g := makeGroup(b, 100)
	for _, c := range groupWays {
		b.Run(c.name, func(b *testing.B) {
			var runs []groupRun
			for range b.N {
				e := startAtSlackSpeed(b)
				runs = append(runs, shareGroup(b, e, g, c.messages, time.Second))
				e.stop()
			}
			slices.SortFunc(runs, func(x, y groupRun) int { return int(x.toThread - y.toThread) })
			m := runs[len(runs)/2]
			b.ReportMetric(m.toSummary.Seconds(), "s-to-summary")
			b.ReportMetric(m.toThread.Seconds(), "s-to-thread")
			b.ReportMetric(float64(m.posts), "posts")
			b.ReportMetric(float64(m.updates), "updates")
			b.ReportMetric(float64(m.rateLimited), "429s")
			b.ReportMetric(float64(m.summaries), "summaries")
			b.ReportMetric(0, "ns/op")
		})
	}
}
