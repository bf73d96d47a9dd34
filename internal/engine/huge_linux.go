package engine

import (
	"syscall"
	"unsafe"
)

// hugePages asks Linux to back the whole 2 MB pages inside a large, not
// yet touched array with huge pages (MADV_HUGEPAGE; it does so anyway
// when transparent huge pages are "always", and may refuse). The builder's
// visit table and visits, and the balance's walk over them, are read in
// random order; with 4 KB pages nearly every such read also missed the
// TLB, and a page walk under a VM's nested paging costs as much as the
// read. It is only advice: nothing changes if it is not taken.
func hugePages[E any](s []E) {
	const huge = 2 << 20
	if cap(s) == 0 {
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(s))
	start := uintptr(p)
	end := start + uintptr(cap(s))*unsafe.Sizeof(s[:1][0])
	from, to := (start+huge-1)&^(huge-1), end&^(huge-1)
	if to <= from {
		return
	}
	mem := unsafe.Slice((*byte)(unsafe.Add(p, from-start)), to-from)
	_ = syscall.Madvise(mem, 14) // MADV_HUGEPAGE
}
