package cli

import (
	"bufio"
	"encoding/csv"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/balancebot/balancebot/internal/exportgen"
)

// benchPair returns the generated pair with lines per side, cached
// between runs (see exportgen.Pair).
func benchPair(b *testing.B, lines int) (emr, billing string) {
	b.Helper()
	emr, billing, err := exportgen.Pair(lines)
	if err != nil {
		b.Fatal(err)
	}
	return emr, billing
}

// forSizes runs bench as a sub-benchmark per size, on that size's pair,
// reporting throughput over both files.
func forSizes(b *testing.B, bench func(b *testing.B, emr, billing string)) {
	for _, n := range exportgen.BenchSizes {
		emr, billing := benchPair(b, n)
		b.Run(exportgen.SizeName(n), func(b *testing.B) {
			st, err := os.Stat(emr)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(st.Size() * 2)
			bench(b, emr, billing)
		})
	}
}

// BenchmarkReconcile balances a generated pair end to end, files on disk to
// the JSON result, as "balancebot reconcile --format json" does.
func BenchmarkReconcile(b *testing.B) {
	forSizes(b, func(b *testing.B, emr, billing string) {
		for i := 0; i < b.N; i++ {
			if code := command().Reconcile([]string{"--format", "json", emr, billing}, io.Discard, io.Discard); code != ExitNotBalanced {
				b.Fatalf("exit status %d", code)
			}
		}
	})
}

// BenchmarkCSVRead is the floor: reading both files with encoding/csv and
// nothing else, concurrently as the balance reads them.
func BenchmarkCSVRead(b *testing.B) {
	read := func(b *testing.B, path string) {
		f, err := os.Open(path)
		if err != nil {
			b.Error(err)
			return
		}
		defer f.Close()
		r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
		r.ReuseRecord = true
		r.FieldsPerRecord = -1
		for {
			if _, err := r.Read(); err != nil {
				return
			}
		}
	}
	forSizes(b, func(b *testing.B, emr, billing string) {
		for i := 0; i < b.N; i++ {
			var wg sync.WaitGroup
			wg.Go(func() { read(b, emr) })
			wg.Go(func() { read(b, billing) })
			wg.Wait()
		}
	})
}
