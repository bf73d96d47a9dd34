package cli

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/balancebot/balancebot/internal/exportgen"
)

// benchSizes are the lines per side the speed benchmarks run at; growth
// with size shows whether time stays linear.
var benchSizes = []int{10_000, 100_000, 1_000_000}

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

func sizeName(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// BenchmarkReconcile balances a generated pair end to end, files on disk to
// the JSON result, as "balancebot reconcile --format json" does.
func BenchmarkReconcile(b *testing.B) {
	for _, n := range benchSizes {
		emr, billing := benchPair(b, n)
		b.Run(sizeName(n), func(b *testing.B) {
			st, _ := os.Stat(emr)
			b.SetBytes(st.Size() * 2)
			for i := 0; i < b.N; i++ {
				if code := Reconcile([]string{"--format", "json", emr, billing}, io.Discard, io.Discard); code != ExitNotBalanced {
					b.Fatalf("exit status %d", code)
				}
			}
		})
	}
}

// BenchmarkCSVRead is the floor: reading both files with encoding/csv and
// nothing else, concurrently as the balance reads them.
func BenchmarkCSVRead(b *testing.B) {
	read := func(path string) {
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
	for _, n := range benchSizes {
		emr, billing := benchPair(b, n)
		b.Run(sizeName(n), func(b *testing.B) {
			st, _ := os.Stat(emr)
			b.SetBytes(st.Size() * 2)
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				wg.Go(func() { read(emr) })
				wg.Go(func() { read(billing) })
				wg.Wait()
			}
		})
	}
}
