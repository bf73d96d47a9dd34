package slackbot

import (
	"strings"
	"testing"

	"github.com/balancebot/balancebot/internal/rules"
)

func d(m, day int) rules.Date { return rules.DateOf(2026, m, day) }

func TestParseRequest(t *testing.T) {
	today := d(11, 25) // a Wednesday
	for _, tc := range []struct {
		text   string
		verb   string
		from   rules.Date
		to     rules.Date
		toDate bool
	}{
		{"", "help", 0, 0, false},
		{"help", "help", 0, 0, false},
		{"status", "status", 0, 0, false},
		{"week", "week", d(11, 16), d(11, 22), false},
		{"week last", "week", d(11, 16), d(11, 22), false},
		{"WEEK this", "week", d(11, 23), d(11, 25), true},
		{"week 2026-11-18", "week", d(11, 16), d(11, 22), false},
		{"week 11/1/2026", "week", d(10, 26), d(11, 1), false}, // a Sunday belongs to the week before
		{"week 11/30", "week", rules.DateOf(2025, 11, 24), rules.DateOf(2025, 11, 30), false},
		{"day", "day", d(11, 24), d(11, 24), false},
		{"day today", "day", d(11, 25), d(11, 25), true},
		{"day 11/17/26", "day", d(11, 17), d(11, 17), false},
	} {
		r, err := parseRequest(tc.text, today)
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if r.verb != tc.verb || r.period.From != tc.from || r.period.To != tc.to || r.toDate != tc.toDate {
			t.Errorf("%q = %+v (%s), want %s %s..%s", tc.text, r, r.period, tc.verb, tc.from, tc.to)
		}
	}
	for text, want := range map[string]string{
		"weak":            "I don't know `weak`",
		"week next":       "`next` is not a date I can read",
		"week 1 2":        "`week` takes one date at most",
		"day 2026-02-30":  "is not a date I can read",
		"status everyone": "`status` takes nothing after it",
	} {
		if _, err := parseRequest(text, today); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}

func TestRanges(t *testing.T) {
	for _, tc := range []struct {
		days []rules.Date
		want string
	}{
		{[]rules.Date{d(11, 16)}, "Mon 11/16"},
		{[]rules.Date{d(11, 16), d(11, 17), d(11, 18)}, "Mon 11/16 – Wed 11/18"},
		{[]rules.Date{d(11, 16), d(11, 18)}, "Mon 11/16, Wed 11/18"},
		{[]rules.Date{d(11, 19), d(11, 20), d(11, 23)}, "Thu 11/19 – Mon 11/23"}, // over a weekend
	} {
		if got := ranges(tc.days); got != tc.want {
			t.Errorf("ranges(%v) = %q, want %q", tc.days, got, tc.want)
		}
	}
	if got := rules.Weekdays(rules.Period{From: d(11, 20), To: d(11, 23)}); len(got) != 2 {
		t.Errorf("weekdays over a weekend: %v", got)
	}
}

func TestParseLocationRequest(t *testing.T) {
	today := d(11, 25)
	for text, want := range map[string][3]string{ // name, location, remove
		"location":                              {"", "", ""},
		`location "DOWNTOWN PT" = Downtown`:     {"DOWNTOWN PT", "Downtown", ""},
		"Location DOWNTOWN PT=Downtown Clinic":  {"DOWNTOWN PT", "Downtown Clinic", ""},
		"location “Uptown Rehab, LLC” = Uptown": {"Uptown Rehab, LLC", "Uptown", ""},
		`location remove "DOWNTOWN PT"`:         {"DOWNTOWN PT", "", "remove"},
	} {
		r, err := parseRequest(text, today)
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		got := [3]string{r.loc.name, r.loc.location, ""}
		if r.loc.remove {
			got[2] = "remove"
		}
		if r.verb != "location" || got != want {
			t.Errorf("%q: %s %q, want %q", text, r.verb, got, want)
		}
	}
	for _, text := range []string{"location DOWNTOWN PT", "location = Downtown", `location "DOWNTOWN PT" =`, "location remove"} {
		if _, err := parseRequest(text, today); err == nil || !strings.Contains(err.Error(), "/balance location") {
			t.Errorf("%q: want an error saying how to write it, got %v", text, err)
		}
	}
}

func TestParseOpenRequest(t *testing.T) {
	for text, want := range map[string]string{
		"open":                   "",
		"OPEN ":                  "",
		"open Downtown":          "Downtown",
		`open "Uptown Rehab PT"`: "Uptown Rehab PT",
		"open  “Main St”":        "Main St",
	} {
		r, err := parseRequest(text, d(11, 25))
		if err != nil || r.verb != "open" || r.loc.name != want {
			t.Errorf("%q: %s %q, %v; want open %q", text, r.verb, r.loc.name, err, want)
		}
	}
}
