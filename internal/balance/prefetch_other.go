//go:build !amd64

package balance

// prefetch does nothing where there is no assembly for it.
func prefetch(p *uint64) {}
