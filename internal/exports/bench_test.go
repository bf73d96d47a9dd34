package exports

import (
	"bufio"
	"encoding/csv"
	"os"
	"testing"

	"github.com/gocarina/gocsv"

	"github.com/balancebot/balancebot/internal/exportgen"
)

// emrRow is the generated EMR Billing Report's row, for gocsv.
type emrRow struct {
	Patient   string  `csv:"Patient"`
	DOS       string  `csv:"Date of Service"`
	Location  string  `csv:"Location"`
	Therapist string  `csv:"Therapist"`
	VisitType string  `csv:"Visit Type"`
	CPT       string  `csv:"CPT Code"`
	Modifiers string  `csv:"Modifiers"`
	Units     float64 `csv:"Units"`
	Finalized string  `csv:"Finalized Date"`
}

// BenchmarkReadEMRSide reads the EMR side of a generated pair three ways:
// balancebot's reader (rows folded into visits, the real work), bare
// encoding/csv (records and nothing else), and gocsv decoding each row
// into a struct through reflection (nothing else). It is why the big
// reports do not go through gocsv: see docs/performance.md.
func BenchmarkReadEMRSide(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		path, _, err := exportgen.Pair(n)
		if err != nil {
			b.Fatal(err)
		}
		open := func(b *testing.B) *os.File {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { f.Close() })
			return f
		}
		name := exportgen.SizeName(n)
		b.Run(name+"/balancebot", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r, err := ReadFile(path, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if r.Rows < n*9/10 || r.VisitCount() == 0 {
					b.Fatalf("read %d rows of about %d", r.Rows, n)
				}
			}
		})
		b.Run(name+"/encoding-csv", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r := csv.NewReader(bufio.NewReaderSize(open(b), 1<<20))
				r.ReuseRecord = true
				rows := 0
				for ; ; rows++ {
					if _, err := r.Read(); err != nil {
						break
					}
				}
				if rows < n*9/10 {
					b.Fatalf("read %d rows of about %d", rows, n)
				}
			}
		})
		b.Run(name+"/gocsv", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				rows := 0
				if err := gocsv.UnmarshalToCallback(bufio.NewReaderSize(open(b), 1<<20), func(emrRow) { rows++ }); err != nil {
					b.Fatal(err)
				}
				if rows < n*9/10 {
					b.Fatalf("read %d rows of about %d", rows, n)
				}
			}
		})
	}
}
