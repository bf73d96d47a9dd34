package balance

// flatTable maps 64-bit hashes to 32-bit values with open addressing and
// linear probing: one probe sequence per lookup-or-insert, in two flat
// arrays. The builder's hot path does one for every new visit; a Go map
// there cost a lookup and an insert, each a trip to memory.
//
// Hashes are not identities: a caller walks the slots holding its hash and
// checks each value against the real key, so two keys with one hash are
// kept apart.
type flatTable struct {
	hashes []uint64 // 0 marks an empty slot
	vals   []uint32
	n      int
}

// reserve sizes the table for about n entries.
func (t *flatTable) reserve(n int) {
	size := 1024
	for size*3/4 < n {
		size *= 2
	}
	if size > len(t.hashes) {
		t.rehash(size)
	}
}

func (t *flatTable) rehash(size int) {
	old, oldVals := t.hashes, t.vals
	t.hashes, t.vals = make([]uint64, size), make([]uint32, size)
	mask := uint64(size - 1)
	for i, h := range old {
		if h == 0 {
			continue
		}
		j := h & mask
		for t.hashes[j] != 0 {
			j = (j + 1) & mask
		}
		t.hashes[j], t.vals[j] = h, oldVals[i]
	}
}

// fix keeps 0 free to mark empty slots.
func fix(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// probe returns the first slot of h's probe sequence, making room first.
func (t *flatTable) probe(h uint64) int {
	if (t.n+1)*4 > len(t.hashes)*3 {
		t.rehash(max(1024, 2*len(t.hashes)))
	}
	return int(h & uint64(len(t.hashes)-1))
}

// next returns the slot after i.
func (t *flatTable) next(i int) int { return (i + 1) & (len(t.hashes) - 1) }

// put stores v under h in the empty slot i.
func (t *flatTable) put(i int, h uint64, v uint32) {
	t.hashes[i], t.vals[i] = h, v
	t.n++
}
