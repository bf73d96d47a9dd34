package engine

// prefetch asks the CPU to start loading the cache line at p without
// waiting for it (PREFETCHT0). A plain load would not do: the core retires
// instructions in order, so a load that misses the cache stalls it within
// a few hundred instructions, long before memory answers.
//
//go:noescape
func prefetch(p *uint64)
