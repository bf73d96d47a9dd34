package rules

import (
	"fmt"
	"strings"
)

// Kind is what a report is: which export of which system, run how.
type Kind string

// The report kinds the balancer knows. Their string values are the names
// users type after --kind and that the JSON carries.
const (
	KindEMRBillingReport      Kind = "emr_billing_report"
	KindDocumentedVisits      Kind = "documented_visits"
	KindDocumentedUnits       Kind = "documented_units"
	KindClaimsFeed            Kind = "claims_feed"
	KindChargeAuditSummary    Kind = "charge_audit_summary"
	KindInsuranceClassSummary Kind = "insurance_class_summary"
	KindBillingExceptions     Kind = "billing_exceptions"
)

// Kinds lists every kind in the order they are explained to users.
var Kinds = []Kind{
	KindEMRBillingReport,
	KindDocumentedVisits,
	KindChargeAuditSummary,
	KindDocumentedUnits,
	KindClaimsFeed,
	KindBillingExceptions,
	KindInsuranceClassSummary,
}

// Side is which system a visit or a report belongs to.
type Side string

// The two sides of a balance.
const (
	SideEMR     Side = "emr"
	SideBilling Side = "billing"
)

// Other is the other side.
func (s Side) Other() Side {
	if s == SideEMR {
		return SideBilling
	}
	return SideEMR
}

// Role is what a kind contributes to a balance.
type Role int

// Roles: the visits counted on either side, or a check report that explains
// differences and raises warnings.
const (
	RoleVisits Role = iota
	RoleCheck
)

type kindInfo struct {
	title string
	side  Side
	role  Role
	// about says, for someone choosing --kind, what one row is.
	about string
	// pull says where to find the export and how to run it.
	pull string
}

var kindInfos = map[Kind]kindInfo{
	KindEMRBillingReport: {"EMR Billing Report", SideEMR, RoleVisits,
		"SOAP 1.0 EMR side: one row per CPT line (patient, date of service, CPT, units)",
		"WebPT EMR > Reports > Billing Report, run by Date of Service for the location and dates"},
	KindDocumentedVisits: {"Documented Visits report", SideEMR, RoleVisits,
		"SOAP 2.0 EMR side: one row per finalized visit (patient, date of service)",
		"WebPT Analytics > Documented Visits for the location and dates"},
	KindDocumentedUnits: {"Documented Units report", SideEMR, RoleCheck,
		"SOAP 2.0 check: CPT lines with units and Do Not Bill",
		"WebPT Analytics > Documented Units for the same dates (shows Do Not Bill and 0-unit notes)"},
	KindClaimsFeed: {"Claims Feed Report", SideEMR, RoleCheck,
		"SOAP 1.0 check: transmission items with a Status (Not Sent, Not Re-Billed, ...)",
		"WebPT EMR > Reports > Claims Feed Report, Reconciliation Mode = Transmission, same dates"},
	KindChargeAuditSummary: {"Charge Audit Summary", SideBilling, RoleVisits,
		"billing side: charge lines or patient visits with a Visits count",
		"WebPT Billing > Reports > Charge Audit Summary, same Location, Date Type = Date of Service, same Date Range"},
	KindInsuranceClassSummary: {"Insurance Class Summary", SideBilling, RoleCheck,
		"billing check: the New Patients column",
		"WebPT Billing > Reports > Insurance Class Summary for the same location and dates"},
	KindBillingExceptions: {"Billing Exceptions Report", SideBilling, RoleCheck,
		"billing check: held charges with an exception reason",
		"WebPT Billing > Billing Exceptions Report for all locations"},
}

// Title is the report's name as users know it.
func (k Kind) Title() string {
	if i, ok := kindInfos[k]; ok {
		return i.title
	}
	return string(k)
}

// Side is which system the report comes from.
func (k Kind) Side() Side { return kindInfos[k].side }

// Role says whether the report counts visits or checks them.
func (k Kind) Role() Role { return kindInfos[k].role }

// About says what one row of the report is.
func (k Kind) About() string { return kindInfos[k].about }

// HowToPull says where the export is found and with which filters.
func (k Kind) HowToPull() string { return kindInfos[k].pull }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	_, ok := kindInfos[k]
	return ok
}

// ParseKind reads a kind name as a user might type it: "charge_audit_summary",
// "Charge Audit Summary", "charge-audit" and the like.
func ParseKind(s string) (Kind, error) {
	norm := func(s string) string {
		var b strings.Builder
		for _, c := range strings.ToLower(s) {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	want := norm(s)
	if want != "" {
		for _, k := range Kinds {
			if norm(string(k)) == want || norm(k.Title()) == want {
				return k, nil
			}
		}
		// A unique prefix is enough ("charge", "claims", "exceptions" as in
		// "billing exceptions" is covered by the title above).
		var found []Kind
		for _, k := range Kinds {
			if strings.HasPrefix(norm(string(k)), want) || strings.HasPrefix(norm(k.Title()), want) {
				found = append(found, k)
			}
		}
		if len(found) == 1 {
			return found[0], nil
		}
	}
	return "", fmt.Errorf("unknown report kind %q; the kinds are %s", s, KindNames())
}

// KindNames lists the kind names for messages.
func KindNames() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
