//go:build unix && !linux

package cli

import "syscall"

// maxRSSBytes is the peak resident set size; the BSDs and macOS count it
// in bytes.
func maxRSSBytes(ru *syscall.Rusage) int64 { return ru.Maxrss }
