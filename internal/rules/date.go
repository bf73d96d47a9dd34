package rules

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar date with no time of day and no zone: a date of service
// is a day on the clinic's calendar, not an instant. It counts days since
// 1970-01-01, so it is small, comparable and cheap to hash; the zero Date
// means "no date".
type Date int32

// noDate is the zero Date. 1970-01-01 itself is day 0 too, but no export of
// this product's era carries it, and keeping the zero value as "unset" makes
// optional dates free.
const noDate Date = 0

// DateOf returns the Date for a year, month and day. It does not validate;
// use ValidDate first when the parts come from user input.
func DateOf(y, m, d int) Date {
	// Days from civil, after Howard Hinnant's algorithm: exact for the
	// proleptic Gregorian calendar and free of time zones.
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Date(era*146097 + doe - 719468)
}

// ValidDate reports whether y-m-d is a real calendar day in a plausible range
// for a date of service (years 1900 to 2199).
func ValidDate(y, m, d int) bool {
	if y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= daysIn(y, m)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Civil returns the year, month and day of d.
func (d Date) Civil() (y, m, day int) {
	z := int(d) + 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, day
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == noDate }

// String formats d as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var b [10]byte
	return string(d.appendISO(b[:0]))
}

// appendISO appends d as YYYY-MM-DD: a result's JSON writes thousands of
// dates, and fmt took a fifth of its time.
func (d Date) appendISO(b []byte) []byte {
	y, m, day := d.Civil()
	if y < 0 || y > 9999 {
		return fmt.Appendf(b, "%04d-%02d-%02d", y, m, day)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10))
}

// US formats d the way the exports and their users write it: M/D/YYYY.
func (d Date) US() string {
	if d.IsZero() {
		return ""
	}
	y, m, day := d.Civil()
	return fmt.Sprintf("%d/%d/%d", m, day, y)
}

// Short formats d with its weekday, for a week's messages: "Mon 11/16".
func (d Date) Short() string {
	_, m, day := d.Civil()
	return fmt.Sprintf("%s %d/%d", d.Weekday().String()[:3], m, day)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	return time.Weekday((int(d)%7 + 7 + 4) % 7)
}

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// Time returns midnight of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	y, m, day := d.Civil()
	return time.Date(y, time.Month(m), day, 0, 0, 0, 0, loc)
}

// DateOfTime returns the calendar date of t in t's own location.
func DateOfTime(t time.Time) Date {
	y, m, d := t.Date()
	return DateOf(y, int(m), d)
}

// ParseISODate reads YYYY-MM-DD, the form used on the command line and in
// the JSON result.
func ParseISODate(s string) (Date, error) {
	var y, m, d int
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return noDate, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	for i, c := range []byte(s) {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return noDate, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
		}
	}
	fmt.Sscanf(s, "%4d-%2d-%2d", &y, &m, &d)
	if !ValidDate(y, m, d) {
		return noDate, fmt.Errorf("%q is not a real calendar day", s)
	}
	return DateOf(y, m, d), nil
}

// MarshalJSON writes d as "YYYY-MM-DD", or null when unset.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 12)
	b = append(b, '"')
	return append(d.appendISO(b), '"'), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = noDate
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseISODate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Period is an inclusive range of dates of service.
type Period struct {
	From Date `json:"from"`
	To   Date `json:"to"`
}

// Short formats p with weekdays, for a week's messages: "Mon 11/16 – Fri
// 11/20", one day alone, or "no dates".
func (p Period) Short() string {
	switch {
	case p.IsZero():
		return "no dates"
	case p.From == p.To:
		return p.From.Short()
	}
	return p.From.Short() + " – " + p.To.Short()
}

// IsZero reports whether the period is unset.
func (p Period) IsZero() bool { return p.From.IsZero() && p.To.IsZero() }

// Contains reports whether d falls inside p. An unset bound does not limit.
func (p Period) Contains(d Date) bool {
	return (p.From.IsZero() || d >= p.From) && (p.To.IsZero() || d <= p.To)
}

// Days returns how many days p spans, or 0 when either bound is unset.
func (p Period) Days() int {
	if p.From.IsZero() || p.To.IsZero() || p.To < p.From {
		return 0
	}
	return int(p.To-p.From) + 1
}

// String formats p for people: "2026-11-16 to 2026-11-20", or one date when
// both ends are the same day.
func (p Period) String() string {
	switch {
	case p.IsZero():
		return "no dates"
	case p.From == p.To:
		return p.From.String()
	}
	return p.From.String() + " to " + p.To.String()
}
