package cli

import "syscall"

// maxRSSBytes is the peak resident set size; Linux counts it in KiB.
func maxRSSBytes(ru *syscall.Rusage) int64 { return ru.Maxrss << 10 }
