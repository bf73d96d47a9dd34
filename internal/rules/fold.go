package rules

import (
	"math"
	"strings"
)

// Counting is how a report kind counts the visits of one key (a patient at
// a location on a date of service).
type Counting uint8

// The ways a report counts visits; see result.md, "Visits and matching".
const (
	// CountOnce: each distinct key is one visit, however many lines it
	// has (the EMR Billing Report's CPT lines, the Documented Units
	// report's, a Charge Audit Summary's charge lines).
	CountOnce Counting = iota
	// CountRows: each row is one (a Documented Visits report's visits, a
	// check report's items), so a key can count more than once.
	CountRows
	// CountVisitsColumn: the sum of the Visits column (a Charge Audit
	// Summary with one; a row with 0 visits, a fee or a supply, is none).
	CountVisitsColumn
)

// CountingOf says how a report of kind k with columns c counts visits.
func CountingOf(k Kind, c Columns) Counting {
	switch k {
	case KindEMRBillingReport, KindDocumentedUnits:
		return CountOnce
	case KindChargeAuditSummary:
		if c.Visits {
			return CountVisitsColumn
		}
		return CountOnce
	}
	return CountRows
}

// Add is a key's count after line l, from its count before.
func (c Counting) Add(count int32, l *Line) int32 {
	switch c {
	case CountOnce:
		return 1
	case CountVisitsColumn:
		return count + int32(math.Round(l.Visits))
	}
	return count + 1
}

// Merge is a key's count from the counts of two sets of its lines.
func (c Counting) Merge(a, b int32) int32 {
	if c == CountOnce {
		return 1
	}
	return a + b
}

// LineFlags is what one line of a report of kind k says about its visit.
func LineFlags(k Kind, l *Line) Flag {
	var f Flag
	switch k {
	case KindEMRBillingReport:
		switch l.CPT {
		case "NORCM":
			f |= FlagNORCM
		case "NC001":
			f |= FlagNoCharge
		}
	case KindDocumentedUnits:
		if l.DoNotBill {
			f |= FlagDoNotBill
		}
		if l.Units > 0 {
			f |= FlagBilledUnits
		}
	case KindClaimsFeed:
		switch l.Status {
		case StatusNotSent:
			f |= FlagNotSent
		case StatusNotRebilled:
			f |= FlagNotRebilled
		}
	case KindBillingExceptions:
		f |= FlagException
	}
	return f
}

// CountsNewPatients says whether a report of kind k sums the units of
// initial-evaluation codes, the EMR's side of the new-patient comparison.
func CountsNewPatients(k Kind) bool {
	return k == KindEMRBillingReport || k == KindDocumentedUnits
}

// ParseClaimStatus reads a Claims Feed status as result.md says: Not
// Re-Billed (however written), a successful transmission (a status with
// "success" in it, or "Sent" or "Transmitted" alone), or anything else,
// which is not sent ("Not Sent", "Transmission Failed", "Error",
// "Pending", ...). A row with no status says nothing.
func ParseClaimStatus(s string) ClaimStatus {
	k := LocationKey(s)
	switch {
	case k == "":
		return StatusOther
	case strings.Contains(k, "notrebilled"):
		return StatusNotRebilled
	case strings.Contains(k, "success"), k == "sent", k == "transmitted":
		return StatusOther
	}
	return StatusNotSent
}
