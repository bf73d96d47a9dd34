package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/balancebot/balancebot/internal/slackbot"
)

// schemaPath is Slack's manifest schema, beside the repository in CI.
var schemaPath = filepath.Join("..", "..", "..", "shared", "slack", "manifest.schema.1.0.0.json")

func readManifest(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest.yaml is not YAML: %v", err)
	}
	return m
}

// TestManifestMatchesSlackSchema validates manifest.yaml against Slack's own
// JSON schema. CI sets BALANCEBOT_REQUIRE_SCHEMA so a missing schema fails
// there instead of passing unchecked.
func TestManifestMatchesSlackSchema(t *testing.T) {
	if _, err := os.Stat(schemaPath); err != nil {
		if os.Getenv("BALANCEBOT_REQUIRE_SCHEMA") != "" {
			t.Fatalf("Slack's manifest schema is required but missing: %v", err)
		}
		t.Skipf("Slack's manifest schema is not beside the repository (%v); CI validates it", err)
	}
	if err := validateManifest(t, readManifest(t)); err != nil {
		t.Errorf("manifest.yaml does not match Slack's schema:\n%v", err)
	}
	// The check can fail: a manifest Slack would refuse is refused here.
	for name, breakIt := range map[string]func(m map[string]any){
		"unknown key":   func(m map[string]any) { m["settings"].(map[string]any)["socket_mode"] = true },
		"name too long": func(m map[string]any) { m["display_information"].(map[string]any)["name"] = strings.Repeat("b", 36) },
		"command without /": func(m map[string]any) {
			m["features"].(map[string]any)["slash_commands"].([]any)[0].(map[string]any)["command"] = "balance"
		},
	} {
		m := readManifest(t)
		breakIt(m)
		if err := validateManifest(t, m); err == nil {
			t.Errorf("a manifest with a %s passed validation", name)
		}
	}
}

// validateManifest checks a manifest, as JSON sees it, against Slack's
// schema.
func validateManifest(t *testing.T, m map[string]any) error {
	t.Helper()
	c := jsonschema.NewCompiler()
	// Two patterns in Slack's schema (unfurl_domains, outgoing_domains)
	// use a lookahead, which Go's RE2 cannot compile. They are relaxed to
	// match anything, and the manifest must not use those fields.
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) {
		re, err := regexp.Compile(s)
		if err != nil {
			return anything(s), nil
		}
		return re, nil
	})
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"unfurl_domains", "outgoing_domains"} {
		if strings.Contains(string(raw), field) {
			t.Errorf("the manifest uses %s, whose pattern this test cannot check", field)
		}
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

// anything is a pattern that matches every string.
type anything string

func (a anything) MatchString(string) bool { return true }
func (a anything) String() string          { return string(a) }

// scopeOf is the bot scope each Web API call needs; "" for none.
var scopeOf = map[string]string{
	"auth.test":                    "",
	"apps.connections.open":        "", // the app-level token's connections:write
	"chat.getPermalink":            "",
	"chat.postMessage":             "chat:write",
	"chat.update":                  "chat:write",
	"chat.postEphemeral":           "chat:write",
	"views.open":                   "", // a modal, from an interaction's trigger
	"views.publish":                "", // the App Home
	"conversations.open":           "im:write",
	"usergroups.users.list":        "usergroups:read",
	"reactions.add":                "reactions:write",
	"files.info":                   "files:read",
	"download":                     "files:read",
	"files.getUploadURLExternal":   "files:write",
	"files.completeUploadExternal": "files:write",
	"response_url":                 "commands",
}

// eventScope is the scope each bot event needs.
var eventScope = map[string]string{"message.channels": "channels:history", "message.groups": "groups:history", "app_home_opened": ""}

// TestManifestDeclaresWhatTheCodeUses runs the bot through what it does
// (an upload, a file needing files.info, slash commands, a reminder) and
// checks the manifest declares every scope the calls it made need, every
// event and command it handles, and nothing more.
func TestManifestDeclaresWhatTheCodeUses(t *testing.T) {
	e := startAt(t, time.Date(2026, 11, 22, 12, 0, 0, 0, chicago), func(c *Config) {
		c.ReminderChannels, c.PHIUsergroup = []string{channel}, "SPHI"
	})
	e.slack.SetUsergroup("SPHI", "UNURSE")
	f := e.slack.AddFile("emr.csv", mustRead(t, example(t, "soap1-week", "emr-billing-report.csv")))
	f.FileAccess, f.URLPrivateDownload = "check_file_info", ""
	e.slack.ShareFiles(channel, user, "", f)
	e.share("", example(t, "soap1-week", "charge-audit-summary.xlsx"))
	e.waitFor("the CSV", func() bool { return len(e.slack.Uploads()) == 1 })
	e.slash("status")
	e.response(1)
	e.slack.SlashCommand("/balance", "week", "CEMPTY", user)
	e.response(2)
	// An item's buttons: Dismiss opens a modal.
	e.settle()
	msg, id := e.itemMessage("W.C. (acct …830)")
	e.click(msg, id, "item_dismiss", "")
	e.waitFor("the dismiss modal", func() bool { return len(e.slack.Views()) == 1 })
	// The App Home.
	e.slack.OpenHome(user)
	e.waitFor("the App Home", func() bool { return len(e.slack.PublishedViews()) == 1 })
	// Show names, for a member of the PHI user group: the CSV by DM.
	e.pressShowNames(e.summaries()[0], "UNURSE")
	e.waitFor("the full-name CSV", func() bool { return len(e.slack.Uploads()) == 2 })
	e.waitFor("the scheduler to sleep", func() bool { return e.clock.Waiters() >= 2 })
	e.clock.Set(time.Date(2026, 11, 23, 9, 0, 0, 0, chicago))
	e.waitFor("the reminder", func() bool {
		for _, m := range e.slack.Messages() {
			if strings.HasPrefix(m.Text, ":calendar:") {
				return true
			}
		}
		return false
	})

	need := map[string]bool{"commands": true} // /balance itself
	for method := range e.slack.Methods() {
		scope, known := scopeOf[method]
		if !known {
			t.Errorf("the bot called %s, whose scope this test does not know: add it to scopeOf and the manifest", method)
		}
		if scope != "" {
			need[scope] = true
		}
	}
	for _, ev := range slackbot.Events {
		scope, known := eventScope[ev]
		if !known {
			t.Errorf("the bot handles %s, whose scope this test does not know", ev)
		}
		if scope != "" {
			need[scope] = true
		}
	}
	if dig(readManifest(t), "features", "app_home", "home_tab_enabled") != true {
		t.Error("the App Home tab is not enabled")
	}

	m := readManifest(t)
	declared := strings2(dig(m, "oauth_config", "scopes", "bot"))
	for scope := range need {
		if !slices.Contains(declared, scope) {
			t.Errorf("the code needs the %s scope; manifest.yaml does not declare it", scope)
		}
	}
	for _, scope := range declared {
		if !need[scope] {
			t.Errorf("manifest.yaml declares %s, which the code does not use", scope)
		}
	}
	events := strings2(dig(m, "settings", "event_subscriptions", "bot_events"))
	sort.Strings(events)
	want := append([]string(nil), slackbot.Events...)
	sort.Strings(want)
	if !slices.Equal(events, want) {
		t.Errorf("bot events %v, the code handles %v", events, want)
	}
	var commands []string
	for _, c := range dig(m, "features", "slash_commands").([]any) {
		commands = append(commands, c.(map[string]any)["command"].(string))
		if c.(map[string]any)["usage_hint"] == nil {
			t.Errorf("%v has no usage hint", c)
		}
	}
	if !slices.Equal(commands, slackbot.Commands) {
		t.Errorf("slash commands %v, the code handles %v", commands, slackbot.Commands)
	}
	if dig(m, "settings", "socket_mode_enabled") != true {
		t.Error("Socket Mode is not enabled")
	}
	if dig(m, "settings", "interactivity", "is_enabled") != true {
		t.Error("interactivity is not enabled: the item buttons and the dismiss modal need it")
	}
	if strings.Contains(string(mustRead(t, filepath.Join("..", "..", "manifest.yaml"))), "request_url") {
		t.Error("a Socket Mode app needs no request URL")
	}
}

func dig(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

func strings2(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		out = append(out, x.(string))
	}
	return out
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
