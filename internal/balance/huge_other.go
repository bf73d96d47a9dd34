//go:build !linux

package balance

// hugePages does nothing off Linux.
func hugePages[E any](s []E) {}
