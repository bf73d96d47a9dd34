package engine

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/balancebot/balancebot/internal/rules"
)

func codecReport() *Report {
	b := NewBuilder("emr.csv", rules.KindEMRBillingReport, rules.Columns{Name: true, CPT: true, Units: true, Location: true, PatientID: true}, rules.CodeSet{"97161": true})
	b.Header("", rules.Period{From: rules.DateOf(2026, 11, 16), To: rules.DateOf(2026, 11, 20)}, "Date of Service", rules.Totals{})
	d := rules.DateOf(2026, 11, 16)
	b.Add(&rules.Line{Location: "Downtown", Patient: rules.Patient{Name: "Smith, John", ID: "P1"}, DOS: d, CPT: "97161", Units: 1})
	b.Add(&rules.Line{Location: "Downtown", Patient: rules.Patient{Name: "Smith, John", ID: "P1"}, DOS: d, CPT: "97110", Units: 2.5})
	b.Add(&rules.Line{Location: "Uptown", Patient: rules.Patient{Name: "Doe, Jane", Account: "A-9"}, DOS: d + 1, CPT: "NORCM", Units: -3})
	b.Add(&rules.Line{Location: "", Patient: rules.Patient{Name: "Núñez, José"}, DOS: d + 2, CPT: "NC001", Units: 1e15})
	b.Add(&rules.Line{Location: "Downtown", Patient: rules.Patient{Name: ""}, DOS: d + 3, CPT: "97110", Units: math.Copysign(0, -1)})
	v := 7.0
	b.GrandTotal(rules.Totals{Visits: &v})
	r := b.Report()
	r.NewPatients = map[string]float64{"Downtown": 2}
	return r
}

func TestReportBinaryRoundTrip(t *testing.T) {
	for _, r := range []*Report{codecReport(), {Name: "empty.csv", Kind: rules.KindDocumentedVisits}} {
		blob, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !IsBinaryReport(blob) {
			t.Fatal("IsBinaryReport is false for MarshalBinary's output")
		}
		var got Report
		if err := got.UnmarshalBinary(blob); err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		r.hashNames()
		if len(r.Visits) == 0 {
			r.Visits = []Visit{}
		}
		sameReport(t, &got, r)
		// The old layout, JSON, round-trips too.
		js, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON Report
		if err := json.Unmarshal(js, &fromJSON); err != nil {
			t.Fatal(err)
		}
		fromJSON.hashNames()
		sameReport(t, &fromJSON, r)
	}
}

// sameReport checks that got holds what want does: the same fields, and
// visits with the same patients, locations, numbers and hashes.
func sameReport(t *testing.T, got, want *Report) {
	t.Helper()
	checkLocs(t, got)
	checkLocs(t, want)
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("%s: round trip differs:\n got %s\nwant %s", want.Name, a, b)
	}
	if len(got.Visits) != len(want.Visits) {
		t.Fatalf("%s: %d visits, want %d", want.Name, len(got.Visits), len(want.Visits))
	}
	for i := range got.Visits {
		g, w := &got.Visits[i], &want.Visits[i]
		if g.NameHash != w.NameHash || g.NameCheck != w.NameCheck {
			t.Errorf("visit %d: name hashes differ", i)
		}
		if math.Signbit(g.Units) != math.Signbit(w.Units) {
			t.Errorf("visit %d: units %v, want %v", i, g.Units, w.Units)
		}
	}
}

// Every truncation and a flipped byte anywhere give an error, never a
// panic or a report with made-up visits.
func TestReportBinaryDamaged(t *testing.T) {
	blob, err := codecReport().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(blob); n++ {
		var r Report
		if err := r.UnmarshalBinary(blob[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(blob))
		}
	}
	var r Report
	if err := r.UnmarshalBinary(append(blob, 0)); !errors.Is(err, errCodec) {
		t.Errorf("a trailing byte: %v, want errCodec", err)
	}
}

func FuzzReportBinary(f *testing.F) {
	blob, _ := codecReport().MarshalBinary()
	f.Add(blob)
	f.Add([]byte(codecMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Report
		if err := r.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var r2 Report
		if err := r2.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded report does not decode: %v", err)
		}
		if len(r2.Visits) != len(r.Visits) {
			t.Fatalf("visits %d, then %d", len(r.Visits), len(r2.Visits))
		}
	})
}

// checkLocs checks that every visit's location is in the report's table.
func checkLocs(t *testing.T, r *Report) {
	t.Helper()
	for i := range r.Visits {
		if v := &r.Visits[i]; int(v.loc) >= len(r.locs) {
			t.Errorf("%s: visit %d has loc %d of %q", r.Name, i, v.loc, r.locs)
		}
	}
}

// TestReportBinaryVersion1 reads a report stored in the first layout, as
// the code before visits had details wrote it (testdata/report-v1.bin):
// stored uploads keep working after an upgrade.
func TestReportBinaryVersion1(t *testing.T) {
	blob, err := os.ReadFile("testdata/report-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := r.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	p := r.Plain()
	if p.Name != "emr.csv" || p.Location != "Downtown" || len(p.Visits) != 2 || r.VisitCount() != 2 || len(r.Details) != 0 {
		t.Fatalf("read %+v", p)
	}
	smith, doe := p.Visits[0], p.Visits[1]
	if smith.Patient.Name != "Smith, John" || smith.Units != 2 || smith.Flags&rules.FlagNORCM == 0 || smith.Lines != 2 ||
		doe.Location != "Uptown" || doe.Patient.ID != "P7" || doe.IEUnits != 1.5 || !doe.Detail.IsZero() {
		t.Errorf("visits %+v", p.Visits)
	}
	// Written again, it is the current layout, and reads the same.
	again, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var r2 Report
	if err := r2.UnmarshalBinary(again); err != nil || again[len(codecMagic)] != codecVersion || !reflect.DeepEqual(r2.Plain(), p) {
		t.Errorf("re-encoded: %v %+v", err, r2.Plain())
	}
}
