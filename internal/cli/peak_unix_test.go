//go:build unix

package cli

import (
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv, when set, makes this test binary balance the files it names
// (separated by newlines) and exit, instead of running tests: the child
// of BenchmarkReconcileProcess.
const childEnv = "BALANCEBOT_BENCH_CHILD"

func TestMain(m *testing.M) {
	if files := os.Getenv(childEnv); files != "" {
		os.Exit(Reconcile(append([]string{"--format", "json"}, strings.Split(files, "\n")...), io.Discard, os.Stderr))
	}
	os.Exit(m.Run())
}

// BenchmarkReconcileProcess balances each generated pair in a child
// process, as "balancebot reconcile" runs, and reports the child's peak
// resident memory (the kernel's high-water mark, what /usr/bin/time calls
// maximum resident set size) next to the median wall time.
func BenchmarkReconcileProcess(b *testing.B) {
	for _, n := range benchSizes {
		emr, billing := benchPair(b, n)
		b.Run(sizeName(n), func(b *testing.B) {
			var times []time.Duration
			var peaks []int64
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(os.Args[0])
				cmd.Env = append(os.Environ(), childEnv+"="+emr+"\n"+billing)
				cmd.Stderr = os.Stderr
				start := time.Now()
				err := cmd.Run()
				times = append(times, time.Since(start))
				if code := cmd.ProcessState.ExitCode(); code != ExitNotBalanced {
					b.Fatalf("child exit status %d (%v)", code, err)
				}
				ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				if !ok {
					b.Skip("no resource usage on this system")
				}
				peaks = append(peaks, maxRSSBytes(ru))
			}
			slices.Sort(times)
			slices.Sort(peaks)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(peaks[len(peaks)/2])/(1<<20), "peak-MB")
		})
	}
}
