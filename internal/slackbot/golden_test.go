package slackbot

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/golden"
	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

// Slack's limits on a message's text (it truncates past 40,000
// characters) and on an ack's payload (refused at 20 KB).
const (
	maxMessageText = 40000
	maxAckBytes    = 20 << 10
)

func goldenText(t *testing.T, name, text string) {
	t.Helper()
	checkText(t, name, text)
	golden.Check(t, name, []byte(text+"\n"))
}

func checkText(t *testing.T, name, text string) {
	t.Helper()
	if text == "" {
		t.Errorf("%s: no text: Slack refuses a message without it", name)
	}
	if n := utf8.RuneCountInString(text); n > maxMessageText {
		t.Errorf("%s: %d characters of text, Slack cuts at %d", name, n, maxMessageText)
	}
}

// week is the example week, Mon 11/16 to Sun 11/22 2026.
var week = rules.Period{From: rules.DateOf(2026, 11, 16), To: rules.DateOf(2026, 11, 22)}

// upload makes an upload of a report of kind k at location loc over p,
// with n visits.
func upload(file string, k rules.Kind, loc string, p rules.Period, n int) *service.Upload {
	r := &engine.Report{Name: file, Kind: k, Location: loc, Period: p}
	for i := range n {
		r.AddVisit("", rules.Patient{Name: "Example, Patient"}, engine.Visit{DOS: p.From.AddDays(i % 5), Count: 1})
	}
	return &service.Upload{FileName: file, User: "U0BILLING", Report: r,
		At: time.Date(2026, 11, 23, 15, 4, 0, 0, time.UTC)}
}

func TestGoldenUploadReply(t *testing.T) {
	chi := time.FixedZone("CST", -6*3600)
	emr := upload("emr-billing-report.csv", rules.KindEMRBillingReport, "Downtown", week, 45)
	files := []fileResult{
		{Name: emr.FileName, Kept: emr},
		{Name: "emr copy.csv", Same: emr},
		{Name: "cas.csv", Refused: &refusal{Reason: refusedUnreadable,
			Err: rules.RowErrorf("cas.csv", 14, "the Date of Service column holds no date M/D/YYYY could read. Export the report again, or correct the cell.")}},
		{Name: "notes.csv", Refused: &refusal{Reason: refusedUnreadable,
			Err: &rules.Error{Code: rules.EInvalid, File: "notes.csv", Fix: rules.FixKind, Message: "cannot tell which report this is. If it is one of the kinds balancebot reads, say which."}}},
		{Name: "huge.xlsx", Refused: &refusal{Reason: refusedTooLarge, TooLarge: &errTooLarge{size: 300 << 20, limit: 100 << 20}}},
		{Name: "lost.csv", Refused: &refusal{Reason: refusedStorage}},
	}
	waiting := []rules.Waiting{
		{Location: "Downtown", Missing: rules.SideBilling, From: week.From, To: week.From.AddDays(4), Visits: 45},
		{Location: "Uptown", Missing: rules.SideEMR, From: week.From, To: week.From.AddDays(4), Visits: 12},
		// Billing's exports name clinics the EMR's do not, and none pairs.
		{Location: "Eastside", Missing: rules.SideBilling, From: week.From, To: week.From.AddDays(4), Visits: 30,
			OtherNames: []string{"EAST SIDE PT", "East Annex"}},
		{Location: "East Annex", Missing: rules.SideEMR, From: week.From, To: week.From.AddDays(4), Visits: 3,
			OtherNames: []string{"Eastside"}},
	}
	var after []string
	for _, w := range waiting {
		after = append(after, stillNeeded(w))
	}
	got := uploadReply("unknown report kind \"charge\"", files, after, chi)
	goldenText(t, "upload-reply.txt", got)
	if bytes.Contains([]byte(got), []byte("--kind")) {
		t.Error("the reply tells a Slack user about a command-line flag")
	}
}

func TestGoldenStatus(t *testing.T) {
	this := rules.Period{From: week.From.AddDays(7), To: week.From.AddDays(9)}
	ups := []*service.Upload{
		upload("emr.csv", rules.KindEMRBillingReport, "Downtown", rules.Period{From: week.From, To: week.From.AddDays(4)}, 45),
		upload("cas.csv", rules.KindChargeAuditSummary, "Downtown", rules.Period{From: week.From, To: week.From.AddDays(4)}, 41),
		upload("uptown-emr.csv", rules.KindEMRBillingReport, "Uptown", rules.Period{From: week.From, To: week.From.AddDays(2)}, 20),
		upload("exceptions.csv", rules.KindBillingExceptions, "", week, 2),
	}
	posted := &service.Posted{Period: rules.Period{From: week.From, To: week.From.AddDays(4)}, NeedsAction: 5,
		Link: "https://example.slack.com/archives/C1/p1", Locations: []string{"Downtown"}}
	weeks := []statusWeek{
		{Name: "This week", Period: this},
		{Name: "Last week", Period: week, Coverage: service.Covering(ups, nil, week), Posted: posted, Open: map[string]openTally{"downtown": {5, 7}}},
	}
	got := statusText(weeks, "1.0")
	goldenText(t, "status.txt", got)
	if len(got) > maxAckBytes {
		t.Errorf("status is %d bytes", len(got))
	}
}

// A group of 100 locations: the balanced ones share a line; each of the
// others has one line with its verdict; the whole answer stays short.
func TestGoldenStatusManyLocations(t *testing.T) {
	var ups []*service.Upload
	posted := &service.Posted{Period: week, NeedsAction: 7, Link: "https://example.slack.com/archives/C1/p2"}
	open := map[string]openTally{}
	for i := range 100 {
		loc := fmt.Sprintf("Clinic %03d", i+1)
		ups = append(ups, upload(fmt.Sprintf("emr-%d.csv", i), rules.KindEMRBillingReport, loc, rules.Period{From: week.From, To: week.From.AddDays(4)}, 20))
		if i%25 == 24 {
			continue // billing not in yet
		}
		ups = append(ups, upload(fmt.Sprintf("cas-%d.csv", i), rules.KindChargeAuditSummary, loc, rules.Period{From: week.From, To: week.From.AddDays(4)}, 20))
		posted.Locations = append(posted.Locations, loc)
		if i%30 == 7 {
			open[rules.LocationKey(loc)] = openTally{1 + i%3, 14}
		}
	}
	got := statusText([]statusWeek{{Name: "Last week", Period: week, Coverage: service.Covering(ups, nil, week), Posted: posted, Open: open}}, "1.0")
	goldenText(t, "status-100-locations.txt", got)
	if !strings.Contains(got, "Balanced (92)") || strings.Count(got, "— :warning:") != 4 || strings.Count(got, "waiting for the billing side") != 4 {
		t.Errorf("the verdicts do not add up to 100 locations:\n%s", got)
	}
	if len(got) > 8000 {
		t.Errorf("status for 100 locations is %d bytes; it should read at a glance", len(got))
	}
}

func TestGoldenHelp(t *testing.T) {
	goldenText(t, "help.txt", usage)
	if len(usage) > maxAckBytes {
		t.Errorf("help is %d bytes, over an ack's limit", len(usage))
	}
}

func TestGoldenReminder(t *testing.T) {
	chi := time.FixedZone("CST", -6*3600)
	monday := time.Date(2026, 11, 23, 9, 0, 0, 0, chi)
	ups := []*service.Upload{
		upload("emr.csv", rules.KindEMRBillingReport, "Downtown", rules.Period{From: week.From, To: week.From.AddDays(4)}, 45),
	}
	for _, c := range []struct {
		golden string
		r      reminder
		soap   string
	}{
		{"reminder-weekly.txt", reminder{Name: ReminderWeekly, Slot: monday, Period: reminderPeriod(ReminderWeekly, rules.DateOfTime(monday)),
			Coverage: service.Covering(ups, nil, week)}, "1.0"},
		{"reminder-weekly-balanced.txt", reminder{Name: ReminderWeekly, Slot: monday, Period: reminderPeriod(ReminderWeekly, rules.DateOfTime(monday)),
			Coverage: service.Covering(ups, nil, week), Posted: &service.Posted{Period: week, Balanced: true, Link: "https://example.slack.com/archives/C1/p2"}}, ""},
		{"reminder-daily-late.txt", reminder{Name: ReminderDaily, Slot: monday, Late: true, Period: reminderPeriod(ReminderDaily, rules.DateOfTime(monday))}, "2.0"},
	} {
		t.Run(c.golden, func(t *testing.T) { goldenText(t, c.golden, reminderMessage(c.r, c.soap)) })
	}
}

// TestGoldenSummaryKeptCurrent renders what keeping a summary current
// writes: the head of an update in the thread (new locations, changed
// ones, with and without differences) and the note on a superseded
// summary.
func TestGoldenSummaryKeptCurrent(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 42, 0, 0, time.UTC)
	var b strings.Builder
	for _, c := range []struct {
		added, changed int
		mismatches     bool
	}{{5, 0, true}, {1, 0, false}, {0, 2, true}, {3, 1, true}} {
		text := updateHead(at, c.added, c.changed, c.mismatches)
		checkText(t, "update head", text)
		b.WriteString(text + "\n")
	}
	note := supersededNote(week, "https://fake.slack.com/archives/C1/p1764000000000300")
	checkText(t, "superseded note", note)
	b.WriteString(note + "\n")
	golden.Check(t, "summary-kept-current.txt", []byte(b.String()))
}
