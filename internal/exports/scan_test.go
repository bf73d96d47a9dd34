package exports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/balancebot/balancebot/internal/rules"
)

// scanAll reads every record with the scanner, copying fields out, and
// drops blank rows (encoding/csv skips them).
func scanAll(data []byte, comma byte, bufSize int) ([][]string, error) {
	s := newCSVScanner(bufio.NewReaderSize(bytes.NewReader(data), bufSize), comma)
	var out [][]string
	for {
		rec, err := s.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if len(rec) == 0 {
			continue
		}
		cp := make([]string, len(rec))
		for i, f := range rec {
			cp[i] = strings.Clone(f)
		}
		out = append(out, cp)
	}
}

func csvAll(data []byte, comma byte) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = rune(comma)
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	return r.ReadAll()
}

func TestScannerMatchesEncodingCSV(t *testing.T) {
	for _, in := range []string{
		"a,b,c\n1,2,3\n",
		"a,b\r\n1,2\r\n",
		"\"Smith, John\",11/16/2026,97110\n",
		"\"multi\nline\",x\n\"with \"\"quotes\"\"\",y\n",
		"no newline at end",
		"trailing cr\r",
		"a,\"b\"c,d\n",       // a bare quote after a closing one is kept
		"a,b\"c,d\n",         // a quote inside an unquoted field
		"\"unterminated,x\n", // runs to the end of the file
		"\n\n\na\n\n",
		",,,\n",
		"\"\",\"\"\n",
		"\"a\r\nb\",c\r\n",
	} {
		want, err := csvAll([]byte(in), ',')
		if err != nil {
			t.Fatalf("%q: encoding/csv: %v", in, err)
		}
		for _, size := range []int{16, 4096} {
			got, err := scanAll([]byte(in), ',', size)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q (buffer %d): got %q, %v; want %q", in, size, got, err, want)
			}
		}
	}
}

func TestScannerRowsCountBlankLines(t *testing.T) {
	s := newCSVScanner(bufio.NewReader(strings.NewReader("a\n\n\"b\nc\"\nd\n")), ',')
	var rows []int
	for {
		rec, err := s.next()
		if err != nil {
			break
		}
		if len(rec) > 0 {
			rows = append(rows, s.row())
		}
	}
	// Rows as a spreadsheet shows them: the blank line is row 2, the
	// two-line cell one row (3), then d on row 4.
	if !slices.Equal(rows, []int{1, 3, 4}) {
		t.Errorf("rows %v", rows)
	}
}

// FuzzScanner checks the scanner against encoding/csv on any input, with
// every separator and a small buffer to exercise lines longer than it.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{"a,b\n\"c,d\"\n", "\"x\"\"y\"\r\n", "a;\"b\nc\";d", "\"\"\"", "a\tb\t\"c\"d\n", "x|y\n\n|z"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, comma := range []byte{',', ';', '\t', '|'} {
			want, err := csvAll(data, comma)
			if err != nil {
				return // invalid UTF-8 and the like: encoding/csv refuses
			}
			got, err := scanAll(data, comma, 16)
			if err != nil {
				t.Fatalf("scanner error %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("comma %q: got %q, want %q", comma, got, want)
			}
		}
	})
}

// The date cache gives back only what was put under the very same text,
// whatever shares its slot, and keeps nothing longer than 16 bytes.
func TestDateCache(t *testing.T) {
	var c dateCache
	texts := []string{"11/16/2026", "11/16/202", "11/16/20260", "2026-11-16", "1/2/26", "11/16/2026 10:30 AM"}
	for i, s := range texts {
		c.put(s, rules.Date(i+1))
	}
	for i, s := range texts {
		d, ok := c.get(s)
		if len(s) > 16 {
			if ok {
				t.Errorf("%q (over 16 bytes) is cached", s)
			}
			continue
		}
		if ok && d != rules.Date(i+1) {
			t.Errorf("%q gives %d, want %d", s, d, i+1)
		}
	}
	// Fill the cache with many texts: every hit must be the text's own date.
	for i := range 5000 {
		c.put(fmt.Sprintf("%d/%d/%d", i%12+1, i%28+1, 2000+i%50), rules.Date(i+1))
	}
	hits := 0
	for i := range 5000 {
		s := fmt.Sprintf("%d/%d/%d", i%12+1, i%28+1, 2000+i%50)
		if d, ok := c.get(s); ok {
			hits++
			// The same text may have been put again later with a later i.
			if j := int(d) - 1; fmt.Sprintf("%d/%d/%d", j%12+1, j%28+1, 2000+j%50) != s {
				t.Fatalf("%q gives the date of another text", s)
			}
		}
	}
	if hits == 0 {
		t.Error("nothing stayed cached")
	}
}
