package rules

import (
	"fmt"
	"testing"
	"time"
)

func TestDateRoundTrip(t *testing.T) {
	// Every day across four centuries, leap rules included, must survive
	// the trip through days-since-epoch and agree with package time.
	start := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 300*366; i += 1 {
		tm := start.AddDate(0, 0, i)
		d := DateOf(tm.Year(), int(tm.Month()), tm.Day())
		y, m, day := d.Civil()
		if y != tm.Year() || m != int(tm.Month()) || day != tm.Day() {
			t.Fatalf("%s: round trip gave %d-%d-%d", tm.Format("2006-01-02"), y, m, day)
		}
		if d.Weekday() != tm.Weekday() {
			t.Fatalf("%s: weekday %v, want %v", tm.Format("2006-01-02"), d.Weekday(), tm.Weekday())
		}
		if DateOfTime(tm) != d {
			t.Fatalf("DateOfTime(%s) disagrees", tm)
		}
	}
}

func TestParseISODate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"2026-11-16", "2026-11-16", true},
		{"2024-02-29", "2024-02-29", true},
		{"2026-02-29", "", false},
		{"2026-13-01", "", false},
		{"2026-1-16", "", false},
		{"11/16/2026", "", false},
		{"", "", false},
	} {
		d, err := ParseISODate(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseISODate(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && d.String() != tc.want {
			t.Errorf("ParseISODate(%q) = %s, want %s", tc.in, d, tc.want)
		}
	}
}

func TestPeriod(t *testing.T) {
	p := Period{DateOf(2026, 11, 16), DateOf(2026, 11, 20)}
	if !p.Contains(DateOf(2026, 11, 16)) || !p.Contains(DateOf(2026, 11, 20)) || p.Contains(DateOf(2026, 11, 21)) {
		t.Errorf("Contains is wrong at the bounds of %s", p)
	}
	if p.Days() != 5 {
		t.Errorf("Days = %d, want 5", p.Days())
	}
	if got := (Period{From: DateOf(2026, 11, 16)}).Contains(DateOf(2030, 1, 1)); !got {
		t.Error("an open upper bound must not limit")
	}
}

// String and MarshalJSON write YYYY-MM-DD by hand; they must agree with fmt
// for every day, padded years included, and round-trip through the JSON.
func TestDateISOMatchesFmt(t *testing.T) {
	for _, ymd := range [][3]int{{1, 1, 1}, {987, 1, 2}, {1999, 12, 31}, {2026, 11, 16}, {2400, 2, 29}, {9999, 12, 31}} {
		d := DateOf(ymd[0], ymd[1], ymd[2])
		want := fmt.Sprintf("%04d-%02d-%02d", ymd[0], ymd[1], ymd[2])
		if got := d.String(); got != want {
			t.Errorf("%v: String %q, want %q", ymd, got, want)
		}
		b, err := d.MarshalJSON()
		if err != nil || string(b) != `"`+want+`"` {
			t.Errorf("%v: MarshalJSON %s, %v", ymd, b, err)
		}
		if !ValidDate(ymd[0], ymd[1], ymd[2]) {
			continue // outside the years the exports may hold: written, not read
		}
		var back Date
		if err := back.UnmarshalJSON(b); err != nil || back != d {
			t.Errorf("%v: back %v, %v", ymd, back, err)
		}
	}
	if b, _ := Date(0).MarshalJSON(); string(b) != "null" {
		t.Errorf("unset date: %s", b)
	}
}
