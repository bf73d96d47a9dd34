package rules

import (
	"testing"
)

func TestNameKeySame(t *testing.T) {
	// Each group holds ways the EMR and billing write one patient.
	groups := [][]string{
		{"Smith, John", "John Smith", "SMITH, JOHN", "Smith, John M.", "JOHN M SMITH", "john michael smith", "  Smith ,  John  "},
		{"De La Cruz, Maria", "Maria De La Cruz", "MARIA ELENA DE LA CRUZ", "de la cruz, maria e."},
		{"Smith-Jones, Mary", "Mary Smith-Jones", "SMITH JONES, MARY", "Smith Jones, Mary Ann"},
		{"O'Brien, Patrick", "Patrick O'Brien", "OBRIEN, PATRICK", "Patrick OBrien"},
		{"Smith Jr., John", "John Smith Jr.", "John Smith III", "SMITH, JOHN, JR"},
		{"García, José", "Jose Garcia", "JOSÉ GARCÍA"},
		// Accents and other marks on any Latin letter, strokes included,
		// precomposed or written as a letter and a combining mark.
		{"Dvořák, Antonín", "Dvorak, Antonin", "ANTONÍN DVOŘÁK", "Dvor\u030Ca\u0301k, Anton\u0131n"},
		{"Núñez, Íñigo", "Nunez, Inigo", "IÑIGO NÚÑEZ"},
		{"Łukasz Żółć", "Zolc, Lukasz", "ŁUKASZ ŻÓŁĆ"},
		{"Søren Kierkegaard", "Kierkegaard, Soren", "SØREN KIERKEGAARD"},
		{"Đorđević, Ðorđe", "Dorde Dordevic"},
		{"Weiß, Jürgen", "Weiss, Jurgen", "JÜRGEN WEISS"},
		{"Ærø, Cæcilie", "Aero, Caecilie"},
		{"Şahin, Ağrı", "Sahin, Agri"},
		{"Van Dyke, Dick", "Dick Van Dyke"},
	}
	for _, g := range groups {
		want := NameKey(g[0])
		if want == "" || want == "|" {
			t.Fatalf("NameKey(%q) = %q, want a key", g[0], want)
		}
		for _, n := range g[1:] {
			if got := NameKey(n); got != want {
				t.Errorf("NameKey(%q) = %q, want %q (as %q)", n, got, want, g[0])
			}
		}
	}
}

func TestNameKeyDifferent(t *testing.T) {
	pairs := [][2]string{
		{"Smith, John", "Smith, Jane"},
		{"Smith, John", "Smithson, John"},
		{"John Smith", "Smith John"}, // without a comma, order is first-last
		{"De La Cruz, Maria", "Cruz, Maria"},
	}
	for _, p := range pairs {
		if NameKey(p[0]) == NameKey(p[1]) {
			t.Errorf("NameKey(%q) = NameKey(%q) = %q, want them different", p[0], p[1], NameKey(p[0]))
		}
	}
}

func TestNameKeyEdges(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		" , ":       "",
		"...":       "",
		"Cher":      "cher|",
		"Smith,":    "smith|",
		"Smith, J.": "smith|j",
	} {
		if got := NameKey(in); got != want {
			t.Errorf("NameKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitCPT(t *testing.T) {
	for in, want := range map[string][2]string{
		"97110":       {"97110", ""},
		"97110-GP":    {"97110", "GP"},
		"97110 GP 59": {"97110", "GP 59"},
		"97110:59":    {"97110", "59"},
		" norcm ":     {"NORCM", ""},
		"nc001":       {"NC001", ""},
		"":            {"", ""},
	} {
		c, m := SplitCPT(in)
		if c != want[0] || m != want[1] {
			t.Errorf("SplitCPT(%q) = %q, %q; want %q, %q", in, c, m, want[0], want[1])
		}
	}
}

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{
		"charge_audit_summary": KindChargeAuditSummary,
		"Charge Audit Summary": KindChargeAuditSummary,
		"charge-audit":         KindChargeAuditSummary,
		"claims":               KindClaimsFeed,
		"EMR Billing Report":   KindEMRBillingReport,
		"billing exceptions":   KindBillingExceptions,
		"documented_visits":    KindDocumentedVisits,
	} {
		got, err := ParseKind(in)
		if err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "documented", "pdf"} {
		if _, err := ParseKind(bad); err == nil {
			t.Errorf("ParseKind(%q) succeeded, want an error", bad)
		}
	}
}

// A packed set holds exactly its codes, however many and however they
// collide.
