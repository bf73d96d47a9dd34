package fakeslack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestCheckMessageRefusesWhatSlackRefuses(t *testing.T) {
	section := func(text string) map[string]any {
		return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}
	}
	blocks := func(bs ...map[string]any) string {
		out, _ := json.Marshal(bs)
		return string(out)
	}
	var many []map[string]any
	for range 51 {
		many = append(many, section("x"))
	}
	var long []map[string]any
	for range 5 {
		long = append(long, section(strings.Repeat("y", 2900)))
	}
	for _, c := range []struct {
		name, blocks, metadata, code string
	}{
		{"fine", blocks(section("hello")), `{"event_type":"e","event_payload":{"a":1,"locs":[{"n":"x","c":2}]}}`, ""},
		{"51 blocks", blocks(many...), "", "invalid_blocks"},
		{"long section", blocks(section(strings.Repeat("z", 3001))), "", "invalid_blocks"},
		{"empty section", blocks(section("")), "", "invalid_blocks"},
		{"too much block text", blocks(long...), "", "msg_blocks_too_long"},
		{"header too long", blocks(map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": strings.Repeat("h", 151)}}), "", "invalid_blocks"},
		{"repeated block_id", blocks(map[string]any{"type": "divider", "block_id": "a"}, map[string]any{"type": "divider", "block_id": "a"}), "", "invalid_blocks"},
		{"nested metadata", "", `{"event_type":"e","event_payload":{"locs":[{"n":{"deep":1}}]}}`, "invalid_metadata_schema"},
		{"array in array", "", `{"event_type":"e","event_payload":{"locs":[[1]]}}`, "invalid_metadata_schema"},
	} {
		code, why := checkMessage("text", c.blocks, c.metadata)
		if code != c.code {
			t.Errorf("%s: got %q (%s), want %q", c.name, code, why, c.code)
		}
	}
}

func TestLimiterRefusesPastTheBurstAndRefills(t *testing.T) {
	l := limiter{limits: Limits{ChannelPosts: Rate{Every: time.Second, Burst: 2}}, buckets: map[string]*bucket{}, refused: map[string]int{}}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	for i := range 2 {
		if ok, _ := l.allow("chat.postMessage", "C1", now); !ok {
			t.Fatalf("post %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("chat.postMessage", "C1", now)
	if ok || wait != time.Second {
		t.Fatalf("third post at once: ok=%v wait=%v, want refused for 1s", ok, wait)
	}
	if ok, _ := l.allow("chat.postMessage", "C2", now); !ok {
		t.Error("another channel shares the first one's bucket")
	}
	if ok, _ := l.allow("chat.postMessage", "C1", now.Add(time.Second)); !ok {
		t.Error("a post a second later was refused")
	}
	if ok, _ := l.allow("chat.update", "C1", now); !ok {
		t.Error("chat.update limited with no Tier 3 limit set")
	}
	if l.refused["post:C1"] != 1 {
		t.Errorf("refused counts %v", l.refused)
	}
}
