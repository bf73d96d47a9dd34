package exportgen

import (
	"bytes"
	"testing"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/exports"
	"github.com/balancebot/balancebot/internal/rules"
)

// TestGeneratedPairBalancesAsExpected reads a generated pair back and checks
// that the balance finds exactly the visits the generator made one-sided.
func TestGeneratedPairBalancesAsExpected(t *testing.T) {
	var emr, bill bytes.Buffer
	cfg := DefaultConfig(30000)
	exp, err := Generate(&emr, &bill, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if exp.EMRLines < cfg.Lines || exp.EMROnly == 0 || exp.BillingOnly == 0 {
		t.Fatalf("generator made %+v", exp)
	}
	e, err := exports.Read("emr.csv", &emr, exports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := exports.Read("billing.csv", &bill, exports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != rules.KindEMRBillingReport || b.Kind != rules.KindChargeAuditSummary {
		t.Fatalf("kinds %s, %s", e.Kind, b.Kind)
	}
	res, err := engine.Reconcile([]*engine.Report{e, b}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got Expected
	got.Locations = len(res.Locations)
	for _, l := range res.Locations {
		got.EMRVisits += l.EMRVisits
		got.BillingVisits += l.BillingVisits
		got.MatchedVisits += l.MatchedVisits
		for _, m := range l.Mismatches {
			if m.Side == rules.SideEMR {
				got.EMROnly++
			} else {
				got.BillingOnly++
			}
		}
	}
	got.EMRLines, got.BillingLines = e.Rows, b.Rows
	if got != exp {
		t.Errorf("balance found %+v\n      expected %+v", got, exp)
	}
}
