package slackbot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/balancebot/balancebot/internal/rules"
)

// weekOf is Monday to Sunday of the week containing d.
func weekOf(d rules.Date) rules.Period {
	// time.Weekday counts from Sunday; weeks here start on Monday.
	back := (int(d.Weekday()) + 6) % 7
	mon := d.AddDays(-back)
	return rules.Period{From: mon, To: mon.AddDays(6)}
}

// request is what a /balance command asks for.
type request struct {
	verb   string // "week", "day", "status", "location", "open", "help"
	period rules.Period
	// toDate marks a period that runs to today, whose later days are
	// simply not over yet.
	toDate bool
	// loc is what a location request asks: to list the map (no name), to
	// map name to location, or to remove name; for open, name is the
	// location asked for ("" for all).
	loc struct {
		name, location string
		remove         bool
	}
}

// locationUsage says how to write a location request.
const locationUsage = "write `/balance location \"NAME IN THE EXPORT\" = LOCATION`, `/balance location remove \"NAME\"`, or `/balance location` for the map"

// parseLocation reads what follows /balance location, keeping the names'
// case: "\"DOWNTOWN PT\" = Downtown", "remove DOWNTOWN PT", or nothing.
func parseLocation(rest string) (request, error) {
	r := request{verb: "location"}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return r, nil
	}
	if verb, name, ok := strings.Cut(rest, " "); ok && slices.Contains([]string{"remove", "unmap", "delete"}, strings.ToLower(verb)) {
		r.loc.name, r.loc.remove = unquote(name), true
		if r.loc.name == "" {
			return request{}, fmt.Errorf("say which name to remove: %s", locationUsage)
		}
		return r, nil
	}
	name, location, ok := strings.Cut(rest, "=")
	r.loc.name, r.loc.location = unquote(name), unquote(location)
	if !ok || r.loc.name == "" || r.loc.location == "" || rules.LocationKey(r.loc.name) == "" {
		return request{}, fmt.Errorf("to map a location, %s", locationUsage)
	}
	return r, nil
}

// unquote trims spaces and the quotes around a name, straight or curly.
func unquote(s string) string {
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "\"“”'‘’"))
}

// parseRequest reads the command's text. today is the date in the
// practice's time zone.
func parseRequest(text string, today rules.Date) (request, error) {
	if verb, rest, _ := strings.Cut(strings.TrimSpace(text), " "); strings.EqualFold(verb, "location") || strings.EqualFold(verb, "locations") {
		return parseLocation(rest)
	} else if strings.EqualFold(verb, "open") {
		r := request{verb: "open"}
		r.loc.name = unquote(strings.TrimSpace(rest))
		return r, nil
	}
	f := strings.Fields(strings.ToLower(text))
	if len(f) == 0 {
		return request{verb: "help"}, nil
	}
	switch f[0] {
	case "help", "?", "usage":
		return request{verb: "help"}, nil
	case "status":
		if len(f) > 1 {
			return request{}, fmt.Errorf("`status` takes nothing after it")
		}
		return request{verb: "status"}, nil
	case "week":
		if len(f) > 2 {
			return request{}, fmt.Errorf("`week` takes one date at most")
		}
		if len(f) == 1 || f[1] == "last" {
			return request{verb: "week", period: weekOf(today.AddDays(-7))}, nil
		}
		if f[1] == "this" {
			return request{verb: "week", period: rules.Period{From: weekOf(today).From, To: today}, toDate: true}, nil
		}
		d, err := parseUserDate(f[1], today)
		if err != nil {
			return request{}, err
		}
		return request{verb: "week", period: weekOf(d)}, nil
	case "day":
		if len(f) > 2 {
			return request{}, fmt.Errorf("`day` takes one date at most")
		}
		d := today.AddDays(-1)
		if len(f) == 2 {
			switch f[1] {
			case "today":
				d = today
			case "yesterday":
			default:
				var err error
				if d, err = parseUserDate(f[1], today); err != nil {
					return request{}, err
				}
			}
		}
		return request{verb: "day", period: rules.Period{From: d, To: d}, toDate: d == today}, nil
	}
	word := f[0]
	if r := []rune(word); len(r) > 40 {
		word = string(r[:40]) + "…"
	}
	return request{}, fmt.Errorf("I don't know `%s`", word)
}

// parseUserDate reads 2026-11-16, 11/16/2026 or 11/16 (this year, or last
// year when that would be in the future).
func parseUserDate(s string, today rules.Date) (rules.Date, error) {
	if d, err := rules.ParseISODate(s); err == nil {
		return d, nil
	}
	var m, d, y int
	if n, _ := fmt.Sscanf(s, "%d/%d/%d", &m, &d, &y); n == 3 {
		if y < 100 {
			y += 2000
		}
		if rules.ValidDate(y, m, d) {
			return rules.DateOf(y, m, d), nil
		}
	} else if n == 2 {
		y, _, _ = today.Civil()
		if rules.ValidDate(y, m, d) {
			date := rules.DateOf(y, m, d)
			if date > today && rules.ValidDate(y-1, m, d) {
				date = rules.DateOf(y-1, m, d)
			}
			return date, nil
		}
	}
	return 0, fmt.Errorf("`%s` is not a date I can read: write it as 2026-11-16 or 11/16/2026", s)
}

// today is the date in the practice's time zone.
func (b *Bot) today() rules.Date {
	return rules.DateOfTime(b.cfg.Clock.Now().In(b.cfg.TZ))
}

// ranges folds sorted dates into runs of consecutive weekdays, formatted
// for people: "Mon 11/16 – Wed 11/18, Fri 11/20".
func ranges(ds []rules.Date) string {
	var parts []string
	for i := 0; i < len(ds); {
		j := i
		// A run continues over a weekend: Fri then Mon is one run.
		for j+1 < len(ds) && (ds[j+1]-ds[j] == 1 || ds[j+1]-ds[j] == 3 && ds[j].Weekday() == time.Friday) {
			j++
		}
		parts = append(parts, (rules.Period{From: ds[i], To: ds[j]}).Short())
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
