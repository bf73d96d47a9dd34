package cli

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/exportgen"
)

// childEnv, when set, makes this test binary balance the files it names
// (separated by newlines) and exit, instead of running tests: the child
// of BenchmarkReconcileProcess.
const childEnv = "BALANCEBOT_BENCH_CHILD"

// peakEnv names the file the child writes its peak resident memory to.
const peakEnv = "BALANCEBOT_BENCH_PEAK_FILE"

func TestMain(m *testing.M) {
	if files := os.Getenv(childEnv); files != "" {
		code := command().Reconcile(append([]string{"--format", "json"}, strings.Split(files, "\n")...), io.Discard, os.Stderr)
		if peak := ownPeak(); peak > 0 {
			os.WriteFile(os.Getenv(peakEnv), []byte(strconv.FormatInt(peak, 10)), 0o600)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// ownPeak is this process's peak resident memory in bytes from Linux's
// /proc/self/status (VmHWM), or 0 elsewhere. The rusage of a child is no
// good for this: Linux carries the parent's peak over into the child it
// starts, and the parent has just run the in-process benchmarks.
func ownPeak() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// BenchmarkReconcileProcess balances each generated pair in a child
// process, as "balancebot reconcile" runs, and reports the child's peak
// resident memory (its high-water mark, VmHWM on Linux) next to the
// median wall time.
func BenchmarkReconcileProcess(b *testing.B) {
	for _, n := range exportgen.BenchSizes {
		emr, billing := benchPair(b, n)
		b.Run(exportgen.SizeName(n), func(b *testing.B) {
			var times []time.Duration
			var peaks []int64
			for i := 0; i < b.N; i++ {
				peakFile := filepath.Join(b.TempDir(), "peak")
				cmd := exec.Command(os.Args[0])
				cmd.Env = append(os.Environ(), childEnv+"="+emr+"\n"+billing, peakEnv+"="+peakFile)
				cmd.Stderr = os.Stderr
				start := time.Now()
				err := cmd.Run()
				times = append(times, time.Since(start))
				if code := cmd.ProcessState.ExitCode(); code != ExitNotBalanced {
					b.Fatalf("child exit status %d (%v)", code, err)
				}
				if data, err := os.ReadFile(peakFile); err == nil {
					n, _ := strconv.ParseInt(string(data), 10, 64)
					peaks = append(peaks, n)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
			if len(peaks) == len(times) {
				// Only Linux says; elsewhere the time alone is reported.
				slices.Sort(peaks)
				b.ReportMetric(float64(peaks[len(peaks)/2])/(1<<20), "peak-MB")
			}
		})
	}
}
