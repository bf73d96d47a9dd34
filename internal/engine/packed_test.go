package engine

import (
	"fmt"
	"testing"
)

func TestPackedSet(t *testing.T) {
	for n := range 40 {
		var in []uint64
		for i := range n {
			w, _ := packCode(fmt.Sprintf("%05d", 97100+i*7))
			in = append(in, w)
		}
		s := newPackedSet(in)
		for i := range 400 {
			w, _ := packCode(fmt.Sprintf("%05d", 97100+i))
			want := i%7 == 0 && i/7 < n
			if got := s.has(w); got != want {
				t.Fatalf("%d codes: has(%d) = %v, want %v", n, 97100+i, got, want)
			}
		}
		if s.has(0) {
			t.Fatal("has the empty code")
		}
	}
}
