package exports

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/balancebot/balancebot/internal/rules"
)

// parseDate reads a date of service as exports write it: M/D/YYYY,
// MM/DD/YYYY, M/D/YY, YYYY-MM-DD (also with / or . between parts), with or
// without a time part, and "16-Nov-2026" or "Nov 16, 2026". A non-zero epoch
// also allows an Excel serial number, which only an XLSX cell carries: days
// since the workbook's epoch (excel1900 or excel1904).
//
// It runs once per row, so it scans bytes instead of trying layouts.
func parseDate(s string, epoch rules.Date) (rules.Date, bool) {
	s = trim(s)
	if s == "" {
		return 0, false
	}
	// Drop a time part: "11/16/2026 10:30 AM", "2026-11-16T10:30:00".
	if i := timeStart(s); i > 0 && s[0] >= '0' && s[0] <= '9' {
		if j := strings.IndexByte(s[i:], ':'); j > 0 || s[i] == 'T' {
			s = s[:i]
		}
	}
	if epoch != 0 && (s[0] >= '0' && s[0] <= '9') {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			if f >= 1 && f < 110000 {
				if d := epoch.AddDays(int(f)); rules.ValidDate(d.Civil()) {
					return d, true
				}
			}
			return 0, false
		}
	}
	var parts [3]int
	var lens [3]int
	n, i := 0, 0
	var sep byte
	for n < 3 && i < len(s) {
		start := i
		v := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' && i-start < 5 {
			v = v*10 + int(s[i]-'0')
			i++
		}
		if i == start {
			break
		}
		parts[n], lens[n] = v, i-start
		n++
		if i == len(s) {
			break
		}
		c := s[i]
		if c != '/' && c != '-' && c != '.' {
			break
		}
		if sep == 0 {
			sep = c
		} else if c != sep {
			return 0, false
		}
		i++
	}
	if n == 3 && i == len(s) {
		var y, m, d int
		switch {
		case lens[0] == 4: // YYYY-MM-DD
			y, m, d = parts[0], parts[1], parts[2]
		case lens[2] == 4: // M/D/YYYY
			m, d, y = parts[0], parts[1], parts[2]
		case lens[2] == 2 && lens[0] <= 2 && lens[1] <= 2: // M/D/YY
			m, d, y = parts[0], parts[1], 2000+parts[2]
			if parts[2] >= 70 {
				y = 1900 + parts[2]
			}
		default:
			return 0, false
		}
		if !rules.ValidDate(y, m, d) {
			return 0, false
		}
		return rules.DateOf(y, m, d), true
	}
	return parseWordDate(s)
}

// Excel's date epochs. The 1900 system counts from 1899-12-30 for every
// date after February 1900 (its phantom 1900-02-29 shifts the start); the
// 1904 system, from older Mac workbooks, from 1904-01-01.
var (
	excel1900 = rules.DateOf(1899, 12, 30)
	excel1904 = rules.DateOf(1904, 1, 1)
)

var months = map[string]int{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

// parseWordDate reads "16-Nov-2026", "16 Nov 2026", "Nov 16, 2026" and
// "November 16 2026".
func parseWordDate(s string) (rules.Date, bool) {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '-' || r == ',' || r == '/' || r == '.'
	})
	if len(f) != 3 {
		return 0, false
	}
	month := func(w string) int {
		if len(w) < 3 {
			return 0
		}
		return months[w[:3]]
	}
	atoi := func(w string) int {
		v, err := strconv.Atoi(w)
		if err != nil {
			return -1
		}
		return v
	}
	var y, m, d int
	switch {
	case month(f[1]) > 0: // 16-Nov-2026
		d, m, y = atoi(f[0]), month(f[1]), atoi(f[2])
	case month(f[0]) > 0: // Nov 16, 2026
		m, d, y = month(f[0]), atoi(f[1]), atoi(f[2])
	default:
		return 0, false
	}
	if y >= 0 && y < 100 {
		y += 2000
	}
	if !rules.ValidDate(y, m, d) {
		return 0, false
	}
	return rules.DateOf(y, m, d), true
}

// parseNumber reads a count or amount: "2", "2.0", "1,234", "$1,234.50",
// "(12.00)" for a negative. An empty cell or "-" is 0.
func parseNumber(s string) (float64, bool) {
	s = trim(s)
	if s == "" || s == "-" {
		return 0, true
	}
	// The common case, a plain whole number, without allocating.
	if v, ok := plainInt(s); ok {
		return float64(v), true
	}
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	s = strings.NewReplacer("$", "", ",", "", " ", "").Replace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

func plainInt(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// idCell is an id as Excel would show it. Java-based exporters write a
// number cell as "10028.0", and a spreadsheet may show "1.0028E+4": both
// are the id 10028. Anything else, leading zeros included, is kept as
// written.
func idCell(s string) string {
	i := strings.IndexByte(s, '.')
	if i <= 0 {
		return s // the common case: no fraction at all
	}
	whole, frac := s[:i], s[i+1:]
	if strings.IndexFunc(whole, notDigit) < 0 && (len(whole) == 1 || whole[0] != '0') {
		if strings.Trim(frac, "0") == "" {
			return whole
		}
	}
	if e := strings.IndexAny(frac, "eE"); e >= 0 {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && f >= 0 && f < 1e15 {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return s
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// isNumeric reports whether a cell holds only a number.
func isNumeric(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return false
	}
	_, ok := parseNumber(s)
	return ok
}

// parseFlag reads a Do Not Bill cell: Y/N, Yes/No, true/false, X, 1/0, or
// the words themselves. Empty is false.
func parseFlag(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes", "true", "x", "1", "t", "donotbill", "do not bill", "dnb", "checked":
		return true
	}
	return false
}

// letters lower-cases s and keeps only its letters and digits: how header
// names, labels and statuses are compared.
func letters(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 0x80:
			b = append(b, c)
		}
	}
	return string(b)
}

// timeStart is the index of the first space or 'T' in s, or -1: where a
// time part may start.
func timeStart(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == 'T' {
			return i
		}
	}
	return -1
}

// dateCache maps the text of date cells of up to 16 bytes to their dates,
// direct-mapped: a cell's text is packed into two words, which pick its
// slot. A slot holds the last date put there.
type dateCache struct {
	slots [256]struct {
		lo, hi uint64
		n      uint8
		d      rules.Date
	}
}

// pack16 packs s, of up to 16 bytes, into two words.
func pack16(s string) (lo, hi uint64, ok bool) {
	if len(s) == 0 || len(s) > 16 {
		return 0, 0, false
	}
	var b [16]byte
	copy(b[:], s)
	return binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:]), true
}

func (c *dateCache) slot(lo, hi uint64) int {
	h := (lo ^ hi*0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9
	return int(h >> 56)
}

// get returns the date of cell s, if it is cached.
func (c *dateCache) get(s string) (rules.Date, bool) {
	lo, hi, ok := pack16(s)
	if !ok {
		return 0, false
	}
	e := &c.slots[c.slot(lo, hi)]
	if e.d == 0 || e.lo != lo || e.hi != hi || int(e.n) != len(s) {
		return 0, false
	}
	return e.d, true
}

// put caches d as the date of cell s.
func (c *dateCache) put(s string, d rules.Date) {
	if lo, hi, ok := pack16(s); ok {
		c.slots[c.slot(lo, hi)] = struct {
			lo, hi uint64
			n      uint8
			d      rules.Date
		}{lo, hi, uint8(len(s)), d}
	}
}
