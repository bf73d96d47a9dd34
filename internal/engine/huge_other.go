//go:build !linux

package engine

// hugePages does nothing off Linux.
func hugePages[E any](s []E) {}
