package engine

import "unsafe"

// flatTable maps 64-bit hashes to 32-bit values with open addressing and
// linear probing in one flat array: one probe sequence, mostly one cache
// line, per lookup-or-insert. The builder's hot path does one for every new
// visit; a Go map there cost a lookup and an insert, each a trip to memory.
//
// A slot packs 32 bits of the hash (the fingerprint) with the value plus
// one; 0 is an empty slot. Fingerprints are not identities: a caller checks
// each value whose fingerprint matches against the real key, so two keys
// that share one are kept apart.
type flatTable struct {
	slots []uint64
	n     int
}

// reserve sizes the table for about n entries.
func (t *flatTable) reserve(n int) {
	size := 1024
	for size*3/4 < n {
		size *= 2
	}
	if size > len(t.slots) {
		t.rehash(size)
	}
}

func (t *flatTable) rehash(size int) {
	old := t.slots
	t.slots = make([]uint64, size)
	hugePages(t.slots)
	prefault(t.slots)
	mask := size - 1
	for _, s := range old {
		if s == 0 {
			continue
		}
		// The probe starts from the fingerprint, the only hash bits kept.
		j := int(s>>32) & mask
		for t.slots[j] != 0 {
			j = (j + 1) & mask
		}
		t.slots[j] = s
	}
}

// fingerprint is the part of h a slot keeps; never 0.
func fingerprint(h uint64) uint32 {
	if fp := uint32(h >> 32); fp != 0 {
		return fp
	}
	return 1
}

// probe returns the first slot of fp's probe sequence, making room first.
func (t *flatTable) probe(fp uint32) int {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.rehash(max(1024, 2*len(t.slots)))
	}
	return int(fp) & (len(t.slots) - 1)
}

// next returns the slot after i.
func (t *flatTable) next(i int) int { return (i + 1) & (len(t.slots) - 1) }

// at returns slot i's fingerprint and value; an empty slot has
// fingerprint 0.
func (t *flatTable) at(i int) (fp, val uint32) {
	s := t.slots[i]
	return uint32(s >> 32), uint32(s) - 1
}

// put stores v under fp in the empty slot i.
func (t *flatTable) put(i int, fp, v uint32) {
	t.slots[i] = uint64(fp)<<32 | uint64(v+1)
	t.n++
}

// prefault writes to every page of a fresh table before it is read. A large
// allocation comes straight from the OS; reading a page first maps the
// shared zero page, and the first write to it then has to shoot down the
// other cores' TLB entries, an interrupt to every core, which on a VM cost
// more than the table's cache misses. A write first takes a plain page.
func prefault(s []uint64) {
	const perPage = 4096 / 8
	for i := 0; i < len(s); i += perPage {
		s[i] = 0
	}
}

// prefetchVisit asks for both cache lines a visit may span.
func prefetchVisit(v *Visit) {
	p := unsafe.Pointer(v)
	prefetch((*uint64)(p))
	prefetch((*uint64)(unsafe.Add(p, unsafe.Sizeof(*v)-8)))
}
