package exportgen

import (
	"fmt"
	"os"
	"path/filepath"
)

// BenchDir is where generated pairs are kept between runs:
// $BALANCEBOT_BENCH_DIR, or balancebot-bench in the temp dir. The
// benchmarks and scripts/*.sh share it, so a pair is generated once.
func BenchDir() string {
	if d := os.Getenv("BALANCEBOT_BENCH_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "balancebot-bench")
}

// Pair returns the paths of the default pair with lines per side under
// BenchDir()/LINES, generating it first if it is not there. A pair is
// written under temporary names and renamed, so an interrupted run never
// leaves half a file that a later run would take for whole.
func Pair(lines int) (emr, billing string, err error) {
	dir := filepath.Join(BenchDir(), fmt.Sprint(lines))
	emr, billing = filepath.Join(dir, "emr.csv"), filepath.Join(dir, "billing.csv")
	if _, err := os.Stat(billing); err == nil {
		if _, err := os.Stat(emr); err == nil {
			return emr, billing, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	ef, err := os.Create(emr + ".tmp")
	if err != nil {
		return "", "", err
	}
	defer ef.Close()
	bf, err := os.Create(billing + ".tmp")
	if err != nil {
		return "", "", err
	}
	defer bf.Close()
	if _, err := Generate(ef, bf, DefaultConfig(lines)); err != nil {
		return "", "", err
	}
	for _, f := range []*os.File{ef, bf} {
		if err := f.Close(); err != nil {
			return "", "", err
		}
	}
	if err := os.Rename(emr+".tmp", emr); err != nil {
		return "", "", err
	}
	return emr, billing, os.Rename(billing+".tmp", billing)
}

// BenchSizes are the lines per side the speed benchmarks run at: each ten
// times the last, so growth with size shows whether time stays linear.
var BenchSizes = []int{10_000, 100_000, 1_000_000}

// SizeName names a size for a benchmark: "10k", "1M".
func SizeName(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}
