//go:build !amd64

package engine

// prefetch does nothing where there is no assembly for it.
func prefetch(p *uint64) {}
