package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f := NewFake(start)
	a := f.After(time.Hour)
	b := f.After(2 * time.Hour)
	f.Advance(90 * time.Minute)
	select {
	case at := <-a:
		if !at.Equal(start.Add(time.Hour)) {
			t.Errorf("fired at %v", at)
		}
	default:
		t.Fatal("a wait of one hour did not fire after 90 minutes")
	}
	select {
	case <-b:
		t.Fatal("a wait of two hours fired after 90 minutes")
	default:
	}
	if !f.Now().Equal(start.Add(90 * time.Minute)) {
		t.Errorf("now = %v", f.Now())
	}
	f.Set(start) // never backwards
	if !f.Now().Equal(start.Add(90 * time.Minute)) {
		t.Error("the clock went backwards")
	}
}
