package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/balancebot/balancebot/internal/exportgen"
	"github.com/balancebot/balancebot/internal/fakeslack"
)

// BenchmarkUploadToSummary measures, through the fake Slack, the time from
// the file_share event of the example SOAP 1.0 week (five files in one
// message) to the summary being posted, and reports the median.
func BenchmarkUploadToSummary(b *testing.B) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "examples", "soap1-week", "*"))
	timeUploads(b, start(b), paths)
}

// BenchmarkUploadToSummaryLarge is BenchmarkUploadToSummary for the
// generated pairs of the speed benchmarks (internal/cli), at 10k, 100k and
// 1M lines a side: both files shared in one message, downloaded from the
// fake Slack, read, stored, balanced and the summary posted.
func BenchmarkUploadToSummaryLarge(b *testing.B) {
	for _, n := range exportgen.BenchSizes {
		emr, billing, err := exportgen.Pair(n)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(exportgen.SizeName(n), func(b *testing.B) {
			timeUploads(b, start(b), []string{emr, billing})
		})
	}
}

// timeUploads shares the files at paths in one message, b.N times (each in
// a channel of its own, so every share is balanced afresh), and reports
// the median time from the share to the summary.
func timeUploads(b *testing.B, e *env, paths []string) {
	var contents [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		contents = append(contents, data)
	}
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch := fmt.Sprintf("CBENCH%d", i)
		var files []fakeslack.File
		for j, p := range paths {
			files = append(files, e.slack.AddFile(filepath.Base(p), contents[j]))
		}
		before := len(e.slack.Messages())
		start := time.Now()
		e.slack.ShareFiles(ch, user, "", files...)
		for !summaryIn(e.slack.Messages()[before:], ch) {
			time.Sleep(200 * time.Microsecond)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
}

func summaryIn(ms []fakeslack.Message, ch string) bool {
	for _, m := range ms {
		if m.Channel == ch && m.ThreadTS == "" && len(m.Metadata) > 0 {
			return true
		}
	}
	return false
}
