package slackbot

import (
	"testing"

	"github.com/balancebot/balancebot/internal/rules"
)

func TestParseHints(t *testing.T) {
	for text, want := range map[string]hints{
		"":                  {},
		"kind: claims_feed": {kind: rules.KindClaimsFeed},
		"Here is Monday. Location: Downtown East": {location: "Downtown East"},
		"report=charge audit, clinic = Uptown":    {kind: rules.KindChargeAuditSummary, location: "Uptown"},
		"kind: invoice":                           {problem: `unknown report kind "invoice"; the kinds are ` + rules.KindNames()},
		"this is the kind of day I like":          {},
	} {
		if got := parseHints(text); got != want {
			t.Errorf("parseHints(%q) = %+v, want %+v", text, got, want)
		}
	}
}
