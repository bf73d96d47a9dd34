package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/clock"
	"github.com/balancebot/balancebot/internal/fakeslack"
)

var chicago, _ = time.LoadLocation("America/Chicago")

func startAt(t *testing.T, now time.Time, opts ...envOption) *env {
	t.Helper()
	fs := fakeslack.New(fakeslack.Options{EchoBotUploads: true})
	t.Cleanup(fs.Close)
	e := &env{t: t, slack: fs, logs: &syncBuffer{}, dir: t.TempDir(), clock: clock.NewFake(now), opts: opts}
	t.Cleanup(e.checkLimits)
	e.boot()
	return e
}

// restart stops the bot and starts it again on the same data.
func (e *env) restart() {
	e.t.Helper()
	e.stop()
	e.boot()
}

// dayExports writes one day's exports for Downtown: an EMR Billing Report
// and a Charge Audit Summary, each stating the day in its preamble. Every
// patient is billed except those in emrOnly.
func dayExports(t *testing.T, day int, patients []string, emrOnly ...string) (emr, billing string) {
	dir := t.TempDir()
	dos := fmt.Sprintf("11/%d/2026", day)
	var e, b strings.Builder
	fmt.Fprintf(&e, "Billing Report\nClinic: Downtown\nDate Range: %s - %s\n\nPatient,Date of Service,CPT Code,Units\n", dos, dos)
	fmt.Fprintf(&b, "Charge Audit Summary\nLocation: Downtown\nDate Type: Date of Service\nDate Range: %s - %s\n\nPatient,Account #,Date of Service,Visits,Units\n", dos, dos)
	for i, p := range patients {
		fmt.Fprintf(&e, "%q,%s,97110,2\n%q,%s,97140,1\n", p, dos, p, dos)
		skip := false
		for _, o := range emrOnly {
			skip = skip || o == p
		}
		if !skip {
			fmt.Fprintf(&b, "%q,%d,%s,1,3\n", strings.ToUpper(p), 5000+i, dos)
		}
	}
	emr = filepath.Join(dir, fmt.Sprintf("emr-11-%d.csv", day))
	billing = filepath.Join(dir, fmt.Sprintf("cas-11-%d.csv", day))
	os.WriteFile(emr, []byte(e.String()), 0o644)
	os.WriteFile(billing, []byte(b.String()), 0o644)
	return emr, billing
}

// slash runs a command and returns its ack, checking it came in time.
func (e *env) slash(text string) fakeslack.Ack {
	e.t.Helper()
	sent := time.Now()
	id := e.slack.SlashCommand("/balance", text, channel, user)
	var ack fakeslack.Ack
	e.waitFor("the ack of /balance "+text, func() bool { var ok bool; ack, ok = e.slack.Acked(id); return ok })
	if d := ack.At.Sub(sent); d > time.Second {
		e.t.Errorf("/balance %s acked after %v; Slack allows 3 s", text, d)
	}
	return ack
}

func ackText(a fakeslack.Ack) string {
	var p struct {
		Text         string `json:"text"`
		ResponseType string `json:"response_type"`
	}
	json.Unmarshal(a.Payload, &p)
	return p.Text
}

// nextResponse waits for the n-th response_url answer (1-based).
func (e *env) response(n int) string {
	e.t.Helper()
	e.waitFor(fmt.Sprintf("response %d", n), func() bool { return len(e.slack.Responses()) >= n })
	r := e.slack.Responses()[n-1]
	if r.ResponseType != "ephemeral" {
		e.t.Errorf("response %d is %q, want ephemeral", n, r.ResponseType)
	}
	return r.Text
}

type meta struct {
	From, To  string
	Locations []map[string]any
}

func metaOf(t *testing.T, m fakeslack.Message) meta {
	var v struct {
		EventPayload struct {
			From      string           `json:"from"`
			To        string           `json:"to"`
			Locations []map[string]any `json:"locations"`
		} `json:"event_payload"`
	}
	if err := json.Unmarshal(m.Metadata, &v); err != nil {
		t.Fatal(err)
	}
	return meta{v.EventPayload.From, v.EventPayload.To, v.EventPayload.Locations}
}

func TestBalanceWeekThisFromUploadsOnDifferentDays(t *testing.T) {
	mon := []string{"Smith, John", "Doe, Jane", "Roe, Rick"}
	tue := []string{"Smith, John", "Lee, Ann", "Ford, Ben", "Cole, Amy"}

	// Monday evening: Monday's exports, in one message.
	e := startAt(t, time.Date(2026, 11, 16, 17, 0, 0, 0, chicago))
	monEMR, monCAS := dayExports(t, 16, mon)
	e.share("", monEMR, monCAS)
	e.waitFor("Monday's balance", func() bool { return len(e.summaries()) == 1 })

	// Tuesday, after a restart: Tuesday's exports, in two messages, with one
	// visit missing from billing.
	e.clock.Set(time.Date(2026, 11, 17, 16, 0, 0, 0, chicago))
	e.restart()
	tueEMR, tueCAS := dayExports(t, 17, tue, "Ford, Ben")
	_, ts := e.share("", tueEMR)
	e.waitFor("the still-needed reply", func() bool { return strings.Contains(e.status(ts), "Still needed") })
	e.share("", tueCAS)
	e.waitFor("Tuesday's balance", func() bool { return len(e.balances()) == 2 })

	// Restarted again before anyone asks: nothing is lost.
	e.restart()
	ack := e.slash("week this")
	if got := ackText(ack); got != ":hourglass_flowing_sand: Balancing Mon 11/16 – Tue 11/17…" {
		t.Errorf("ack: %q", got)
	}
	e.waitFor("the week's balance", func() bool { return len(e.balances()) == 3 })
	m := metaOf(t, e.balances()[2])
	loc := m.Locations[0]
	if m.From != "2026-11-16" || m.To != "2026-11-17" || loc["emr_visits"] != 7.0 || loc["billing_visits"] != 6.0 ||
		loc["matched_visits"] != 6.0 || loc["reasons"] != "unexplained=1" || loc["balanced"] != false {
		t.Errorf("the week's balance: %+v", m)
	}
	resp := e.response(1)
	if !strings.Contains(resp, "Not balanced, Mon 11/16 – Tue 11/17") || strings.Contains(resp, "Missing") {
		t.Errorf("response: %s", resp)
	}
}

func TestBalanceWeekSaysWhatIsMissing(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 23, 10, 0, 0, 0, chicago))
	e.share("", example(t, "soap1-week", "emr-billing-report.csv"))
	e.waitFor("the upload", func() bool { return len(e.slack.Reactions()) >= 2 })
	e.slash("week")
	resp := e.response(1)
	for _, want := range []string{"I cannot balance Mon 11/16 – Sun 11/22 yet: no location has both sides.",
		"Missing for Mon 11/16 – Sun 11/22, drop these in this channel:",
		"• *Downtown*, Mon 11/16 – Fri 11/20: the *Charge Audit Summary* (WebPT Billing &gt; Reports &gt; Charge Audit Summary"} {
		if !strings.Contains(resp, want) {
			t.Errorf("response lacks %q:\n%s", want, resp)
		}
	}
	if len(e.summaries()) != 0 {
		t.Error("a balance was posted with one side only")
	}
	// Nothing at all for a week: say which exports to drop.
	e.slash("week 2026-11-02")
	if resp := e.response(2); !strings.Contains(resp, "Nothing is uploaded here for Mon 11/2 – Sun 11/8 yet.") || !strings.Contains(resp, "Charge Audit Summary") {
		t.Errorf("empty week: %s", resp)
	}
}

func TestBalanceSubcommands(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 23, 10, 0, 0, 0, chicago))
	e.share("", examples(t, "soap1-week")...)
	e.waitFor("the upload's balance", func() bool { return len(e.summaries()) == 1 })

	if got := ackText(e.slash("help")); !strings.Contains(got, "`/balance week this`") || !strings.Contains(got, "`/balance status`") {
		t.Errorf("help: %s", got)
	}
	if got := ackText(e.slash("")); !strings.Contains(got, "`/balance day [DATE]`") {
		t.Errorf("no arguments: %s", got)
	}
	for _, bad := range []string{"foo", "week next", "day 13/45", "status now"} {
		got := ackText(e.slash(bad))
		if !strings.HasPrefix(got, ":grey_question:") || !strings.Contains(got, "`/balance week`") {
			t.Errorf("/balance %s should get the usage: %s", bad, got)
		}
	}

	// week DATE: the week containing it, balanced over the dates both sides cover.
	e.slash("week 2026-11-18")
	e.waitFor("the week's balance", func() bool { return len(e.balances()) == 2 })
	if m := metaOf(t, e.balances()[1]); m.From != "2026-11-16" || m.To != "2026-11-20" || m.Locations[0]["emr_visits"] != 45.0 {
		t.Errorf("week 2026-11-18: %+v", m)
	}
	// week (no date): last week, the same one here.
	e.slash("week")
	e.waitFor("last week's balance", func() bool { return len(e.balances()) == 3 })

	// day: one day.
	e.slash("day 11/17/2026")
	e.waitFor("the day's balance", func() bool { return len(e.balances()) == 4 })
	m := metaOf(t, e.balances()[3])
	if m.From != "2026-11-17" || m.To != "2026-11-17" || m.Locations[0]["emr_visits"] != 8.0 {
		t.Errorf("day: %+v", m)
	}
	e.waitFor("three answers", func() bool { return len(e.slack.Responses()) == 3 })

	// status: what is stored, and the last balance posted.
	e.slash("status")
	st := e.response(4)
	for _, want := range []string{"*This week* (Mon 11/23)", "• nothing uploaded", "*Last week* (Mon 11/16 – Sun 11/22)",
		"• *Downtown* — :warning: 5 open items, new today · EMR: Mon 11/16 – Fri 11/20 (EMR Billing Report ×1); billing: Mon 11/16 – Fri 11/20 (Charge Audit Summary ×1); checks:",
		"Claims Feed Report ×1", ":warning: Not balanced for Mon 11/16 – Fri 11/20, 5 visits need action: <https://fake.slack.com/archives/"} {
		if !strings.Contains(st, want) {
			t.Errorf("status lacks %q:\n%s", want, st)
		}
	}
}

func TestWeeklyReminder(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 22, 12, 0, 0, 0, chicago), func(c *Config) { c.ReminderChannels = []string{channel} })
	e.share("", example(t, "soap1-week", "emr-billing-report.csv"))
	e.waitFor("the upload", func() bool { return len(e.slack.Reactions()) >= 2 })

	reminders := func() []fakeslack.Message {
		var out []fakeslack.Message
		for _, m := range e.slack.Messages() {
			if strings.HasPrefix(m.Text, ":calendar:") {
				out = append(out, m)
			}
		}
		return out
	}
	// Monday 9:00: the reminder, with last week's state and the checklist.
	e.waitFor("the scheduler to sleep", func() bool { return e.clock.Waiters() >= 2 })
	e.clock.Set(time.Date(2026, 11, 23, 9, 0, 0, 0, chicago))
	e.waitFor("the reminder", func() bool { return len(reminders()) == 1 })
	r := reminders()[0].Text
	for _, want := range []string{":calendar: *Time to balance last week: Mon 11/16 – Sun 11/22*", "*Still missing*:",
		"*Downtown*, Mon 11/16 – Fri 11/20: the *Charge Audit Summary*", "*Claims Feed Report* (WebPT EMR &gt; Reports, Reconciliation Mode = Transmission, Mon 11/16 – Sun 11/22)",
		"*Not Sent* and *NOT RE-BILLED*", "*Documented Units*", "*Billing Exceptions Report*"} {
		if !strings.Contains(r, want) {
			t.Errorf("reminder lacks %q:\n%s", want, r)
		}
	}
	if strings.Contains(r, "sent late") {
		t.Error("an on-time reminder is marked late")
	}
	// Down over the next Monday: one late reminder on start, none twice.
	e.stop()
	e.clock.Set(time.Date(2026, 11, 30, 11, 0, 0, 0, chicago))
	e.boot()
	e.waitFor("the late reminder", func() bool { return len(reminders()) == 2 })
	if r := reminders()[1].Text; !strings.Contains(r, "_(sent late: balancebot was not running at 9:00 AM Mon Nov 30)_") ||
		!strings.Contains(r, "Mon 11/23 – Sun 11/29") {
		t.Errorf("late reminder: %s", r)
	}
	e.restart()
	e.waitFor("the reminders' catch-up on start", func() bool { return e.main.rounds.Load() >= 1 })
	if n := len(reminders()); n != 2 {
		t.Errorf("%d reminders after another restart, want 2", n)
	}
}

// TestLocationsNamedDifferently: the EMR says Downtown and billing
// DOWNTOWN PT, then billing names two clinics that both fit; the bot pairs
// what it can, says how to map the rest without asking again for an export
// it was given, and balances once the user maps the name.
func TestLocationsNamedDifferently(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 23, 10, 0, 0, 0, chicago))
	emr := "Billing Report\nLocation: Downtown\nDate Range: 11/16/2026 - 11/17/2026\nPatient,Date of Service,CPT Code,Units\n" +
		"\"Able, Ann\",11/16/2026,97110,2\n\"Baker, Bo\",11/16/2026,97110,1\n\"Cole, Cy\",11/17/2026,97110,1\n"
	cas := "Charge Audit Summary\nLocation: DOWNTOWN PT\nDate Range: 11/16/2026 - 11/17/2026\nPatient,Date of Service,Visits\n" +
		"\"ABLE, ANN\",11/16/2026,1\n\"BAKER, BO\",11/16/2026,1\n\"COLE, CY\",11/17/2026,1\n"
	_, ts := e.slack.ShareFiles(channel, user, "", e.slack.AddFile("emr.csv", []byte(emr)), e.slack.AddFile("cas.csv", []byte(cas)))
	e.waitFor("the paired balance", func() bool { return strings.Contains(e.status(ts), "see the balance") })
	sum := e.summaries()[0]
	if m := metaOf(t, sum); len(m.Locations) != 1 || m.Locations[0]["balanced"] != true || !strings.Contains(string(sum.Blocks), "balanced as one location, Downtown") {
		t.Errorf("Downtown and DOWNTOWN PT should balance as one, with the warning: %s", sum.Blocks)
	}

	// Next week billing names two clinics that both fit Downtown.
	emr2 := strings.ReplaceAll(strings.ReplaceAll(emr, "11/16/2026", "11/23/2026"), "11/17/2026", "11/24/2026")
	cas2 := "Patient,Date of Service,Clinic,Visits\n\"ABLE, ANN\",11/23/2026,Downtown Clinic,1\n\"BAKER, BO\",11/23/2026,Downtown Clinic,1\n" +
		"\"COLE, CY\",11/24/2026,Downtown Clinic,1\n\"DOE, DI\",11/24/2026,Downtown Rehab LLC,1\n"
	_, ts2 := e.slack.ShareFiles(channel, user, "", e.slack.AddFile("emr2.csv", []byte(emr2)), e.slack.AddFile("cas2.csv", []byte(cas2)))
	e.waitFor("the answer", func() bool { return strings.Contains(e.status(ts2), "Still needed for *Downtown*") })
	st := e.status(ts2)
	if !strings.Contains(st, "`/balance location \"Downtown Clinic\" = Downtown`") || strings.Contains(st, "Charge Audit Summary*") {
		t.Errorf("the answer should say how to map billing's name, not ask for the Charge Audit Summary again:\n%s", st)
	}
	before := len(e.balances())

	ack := ackText(e.slash(`location "Downtown Clinic" = Downtown`))
	if !strings.Contains(ack, "From now on *Downtown Clinic* in an export here means *Downtown*") {
		t.Errorf("ack: %s", ack)
	}
	e.slash("week this")
	e.waitFor("the balance with the map", func() bool { return len(e.balances()) > before })
	m := metaOf(t, e.balances()[len(e.balances())-1])
	var downtown, rehab bool
	for _, l := range m.Locations {
		downtown = downtown || l["location"] == "Downtown" && l["balanced"] == true
		rehab = rehab || l["location"] == "Downtown Rehab LLC"
	}
	if !downtown || rehab {
		t.Errorf("with the map, Downtown balances and Downtown Rehab LLC waits for its EMR side: %+v", m.Locations)
	}
	if list := ackText(e.slash("location")); !strings.Contains(list, "• *Downtown Clinic* means *Downtown* (set by <@"+user+">") {
		t.Errorf("the map: %s", list)
	}
	if gone := ackText(e.slash(`location remove "Downtown Clinic"`)); !strings.Contains(gone, "*Downtown Clinic* is out of the location map") {
		t.Errorf("remove: %s", gone)
	}
	if list := ackText(e.slash("location")); !strings.Contains(list, "No location names are mapped here") {
		t.Errorf("the map after removing: %s", list)
	}
}

// TestLocationHintWithAnUpload: a billing export naming no clinic, shared
// with "location: Downtown" while the EMR names two, is Downtown's.
func TestLocationHintWithAnUpload(t *testing.T) {
	e := start(t)
	emr := "Patient,Date of Service,Clinic,CPT Code,Units\n\"Able, Ann\",11/16/2026,Downtown,97110,2\n\"Baker, Bo\",11/16/2026,Uptown,97110,1\n"
	_, first := e.slack.ShareFiles(channel, user, "", e.slack.AddFile("emr.csv", []byte(emr)))
	e.waitFor("the EMR side kept", func() bool { return strings.Contains(e.status(first), "Still needed for *Uptown*") })
	cas := "Patient,Date of Service,Visits\n\"ABLE, ANN\",11/16/2026,1\n"
	_, ts := e.slack.ShareFiles(channel, user, "Monday's billing. location: Downtown", e.slack.AddFile("cas.csv", []byte(cas)))
	e.waitFor("the balance", func() bool { return strings.Contains(e.status(ts), "see the balance") })
	st := e.status(ts)
	if !strings.Contains(st, "*cas.csv*: Charge Audit Summary · Downtown") || !strings.Contains(st, "Still needed for *Uptown*") {
		t.Errorf("the hint should place cas.csv at Downtown, and Uptown wait for billing:\n%s", st)
	}
	m := metaOf(t, e.summaries()[0])
	if len(m.Locations) != 1 || m.Locations[0]["location"] != "Downtown" || m.Locations[0]["balanced"] != true {
		t.Errorf("summary locations: %+v", m.Locations)
	}
}
