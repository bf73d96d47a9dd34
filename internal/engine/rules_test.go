package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/balancebot/balancebot/internal/rules"
)

// exportsFrom makes a handful of exports, lines and all, from b: each byte
// read picks one choice, so the fuzzer's changes to b are changes to the
// exports. Reports are built the way the readers build them: the columns a
// report has decide which fields its lines carry.
type exportsFrom struct {
	b []byte
	i int
}

// pick returns a choice in [0, n); past the end of b, 0.
func (g *exportsFrom) pick(n int) int {
	if g.i >= len(g.b) {
		return 0
	}
	c := int(g.b[g.i]) % n
	g.i++
	return c
}

func (g *exportsFrom) one(of ...string) string { return of[g.pick(len(of))] }

// export is one export made for the comparison, before either fold.
type export struct {
	name       string
	kind       rules.Kind
	cols       rules.Columns
	location   string
	period     rules.Period
	basis      string
	stated     rules.Totals
	grandTotal rules.Totals
	lines      []rules.Line
	collide    bool // the engine's key hash made to collide for every key
}

func (g *exportsFrom) export(n int) export {
	kinds := []rules.Kind{rules.KindEMRBillingReport, rules.KindChargeAuditSummary, rules.KindDocumentedVisits,
		rules.KindChargeAuditSummary, rules.KindEMRBillingReport, rules.KindDocumentedUnits, rules.KindClaimsFeed,
		rules.KindBillingExceptions, rules.KindInsuranceClassSummary}
	e := export{name: fmt.Sprintf("r%d.csv", n), kind: kinds[g.pick(len(kinds))]}
	c := &e.cols
	c.Name = g.pick(8) != 0
	c.PatientID = g.pick(4) == 0
	c.Account = g.pick(3) == 0
	c.Units = g.pick(4) != 0
	c.CPT = e.kind == rules.KindEMRBillingReport || e.kind == rules.KindDocumentedUnits
	c.Visits = e.kind == rules.KindChargeAuditSummary && g.pick(2) == 0
	c.Location = g.pick(2) == 0
	e.location = g.one("", "", "Downtown", "DOWNTOWN", "Uptown", "Downtown PT")
	if g.pick(2) == 0 {
		from := day(14 + g.pick(5))
		e.period = rules.Period{From: from, To: from.AddDays(g.pick(8))}
		if g.pick(8) == 0 {
			e.period.To = 0 // half a period, as a damaged preamble gives
		}
	}
	e.basis = g.one("", "", "Date of Service", "Created Date")
	total := func() *float64 {
		if g.pick(3) != 0 {
			return nil
		}
		v := float64(g.pick(12))
		return &v
	}
	e.stated = rules.Totals{Visits: total(), Units: total()}
	e.grandTotal = rules.Totals{Visits: total()}
	e.collide = g.pick(6) == 0
	names := []string{"Smith, John", "JOHN SMITH", "Doe, Jane", "Núñez, José", "Nunez, Jose", "Roe, Rick", "", "Smith, Joan",
		"JOHNSON, BOB", "Johnson, Robert", "Lopez, Juan", "Lopez Garcia, Juan Carlos", "Kowalsky, Anna", "Kowalski, Anna"}
	for range g.pick(14) {
		l := rules.Line{DOS: day(13 + g.pick(12))}
		if c.Location {
			l.Location = g.one("", "Downtown", "Uptown", "downtown ", "Midtown", "DOWNTOWN PT", "Uptown Rehab LLC")
		}
		if e.kind == rules.KindInsuranceClassSummary {
			// One spelling a location, as a real summary writes them.
			l.Location = g.one("", "Downtown", "Uptown")
			l.NewPatients = float64(g.pick(4))
			e.lines = append(e.lines, l)
			continue
		}
		if c.Name {
			l.Patient.Name = names[g.pick(len(names))]
		}
		if c.PatientID {
			l.Patient.ID = g.one("P1", "P2", "", "0P1")
		}
		if c.Account {
			l.Patient.Account = g.one("A1", "A2", "", "00A1")
		}
		if c.CPT {
			l.CPT = g.one("97110", "97161", "NORCM", "NC001", "97166", "97164")
		}
		if c.Units {
			l.Units = float64(g.pick(5)) / 2 // halves: sums are exact in any order
		}
		l.Visits = float64(g.pick(3))
		l.DoNotBill = g.pick(5) == 0
		l.Status = rules.ClaimStatus(g.pick(3))
		// What helps to work a visit, on some lines: a therapist, an
		// exception type or a status as written.
		l.Detail = rules.Detail{Provider: g.one("", "", "Reed, PT", "Lee, OT"), Note: g.one("", "", "Missing Authorization", "Transmission Failed")}
		for range 1 + g.pick(3) { // a visit's lines come together, mostly
			e.lines = append(e.lines, l)
			if c.Account && g.pick(4) == 0 {
				// Another patient of the same name the same day.
				l.Patient.Account = g.one("A1", "A2", "A3")
			}
		}
	}
	return e
}

func (g *exportsFrom) options() rules.Options {
	var o rules.Options
	if g.pick(4) == 0 {
		from := day(15 + g.pick(4))
		o.Period = rules.Period{From: from, To: from.AddDays(g.pick(6))}
		if g.pick(3) == 0 {
			o.Period.From = 0
		}
	}
	o.Location = g.one("", "", "", "Downtown", "uptown")
	o.SkipIncomplete = g.pick(2) == 0
	switch g.pick(4) {
	case 1:
		o.Locations = rules.LocationMap{}
		o.Locations.Map("Downtown PT", "Downtown")
	case 2:
		o.Locations = rules.LocationMap{}
		o.Locations.Map("Midtown", "Uptown")
		o.Locations.Map("downtown", "Downtown PT") // the undo of a pairing
	}
	return o
}

// engineReport folds e as the readers do, with the engine's Builder.
func (e export) engineReport() *Report {
	b := NewBuilder(e.name, e.kind, e.cols, nil)
	if e.collide {
		b.hashOf = func() uint64 { return 42 }
	}
	b.Header(e.location, e.period, e.basis, e.stated)
	b.GrandTotal(e.grandTotal)
	for i := range e.lines {
		l := e.lines[i]
		b.Add(&l)
	}
	return b.Report()
}

// plainReport folds e with the rules' plain fold.
func (e export) plainReport() *rules.Report {
	r := rules.Fold(e.name, e.kind, e.cols, nil, e.lines)
	r.Location, r.Period, r.DateBasis, r.Stated, r.GrandTotal = e.location, e.period, e.basis, e.stated, e.grandTotal
	return r
}

// sameBothWays folds and balances the exports data makes with the engine
// and with the rules' plain code, and fails unless both give the same
// reports and the same Result, or the same error. The engine's reports
// then go through the store's binary codec and must balance the same
// again.
func sameBothWays(t *testing.T, data []byte) {
	g := &exportsFrom{b: data}
	n := 1 + g.pick(6)
	var fast []*Report
	var plain []*rules.Report
	for i := range n {
		e := g.export(i)
		fr, pr := e.engineReport(), e.plainReport()
		if got := fr.Plain(); !reflect.DeepEqual(got, pr) {
			t.Fatalf("%s (%s) folds differently:\nengine %+v\nrules  %+v", e.name, e.kind, got, pr)
		}
		fast, plain = append(fast, fr), append(plain, pr)
	}
	opt := g.options()
	want, wantErr := rules.Reconcile(plain, opt)
	check := func(how string, reports []*Report) {
		got, err := Reconcile(reports, opt)
		switch {
		case (err != nil) != (wantErr != nil):
			t.Fatalf("%s: engine error %v, rules error %v", how, err, wantErr)
		case err != nil:
			if err.Error() != wantErr.Error() {
				t.Fatalf("%s: engine error %q, rules error %q", how, err, wantErr)
			}
		case !reflect.DeepEqual(got, want):
			t.Fatalf("%s: the engine and the rules differ (options %+v)\nengine %s\nrules  %s", how, opt, dump(got), dump(want))
		}
	}
	check("built", fast)
	decoded := make([]*Report, len(fast))
	for i, r := range fast {
		blob, err := r.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		decoded[i] = new(Report)
		if err := decoded[i].UnmarshalBinary(blob); err != nil {
			t.Fatal(err)
		}
	}
	check("stored and read back", decoded)
}

func dump(res *rules.Result) string {
	s := fmt.Sprintf("balanced %v %s–%s waiting %+v\n", res.Balanced, res.From, res.To, res.Waiting)
	for _, l := range res.Locations {
		s += fmt.Sprintf("  %+v\n", l)
		for _, m := range l.Mismatches {
			s += fmt.Sprintf("    %+v\n", m)
		}
	}
	for _, w := range res.Warnings {
		s += fmt.Sprintf("  warning %+v\n", w)
	}
	for _, in := range res.Inputs {
		s += fmt.Sprintf("  input %+v\n", in)
	}
	return s
}

// FuzzEngineMatchesRules holds the engine to the rules: every set of
// exports the fuzzer makes balances the same both ways. go test runs the
// seeds below and the corpus in testdata/fuzz; go test -fuzz
// FuzzEngineMatchesRules looks for more.
func FuzzEngineMatchesRules(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 64 {
		b := make([]byte, 40+rng.IntN(400))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(sameBothWays)
}

// TestEngineMatchesRules runs many more generated sets than the fuzz seeds,
// every time the tests run.
func TestEngineMatchesRules(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		b := make([]byte, 20+rng.IntN(600))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) { sameBothWays(t, b) })
		if t.Failed() {
			return
		}
	}
}
