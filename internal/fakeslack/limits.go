package fakeslack

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Rate is a token bucket: Burst calls at once, then one every Every.
type Rate struct {
	Every time.Duration
	Burst int
}

// Limits are the rate limits the fake enforces, refusing with a 429 and
// Retry-After what goes past them, as Slack does (docs/slack.md).
type Limits struct {
	// ChannelPosts limits chat.postMessage and files shared
	// (files.completeUploadExternal), per channel: about one a second,
	// after a short burst.
	ChannelPosts Rate
	// Tier3 limits each Tier 3 method (chat.update, reactions.add,
	// conversations.history and .replies), per workspace: about 50 a
	// minute.
	Tier3 Rate
	// Tier4 limits each Tier 4 method (chat.getPermalink,
	// chat.postEphemeral, files.getUploadURLExternal, views.*), per
	// workspace: about 100 a minute.
	Tier4 Rate
}

// SlackLimits are Slack's limits as the fake models them. Slack documents
// the rates, not the bursts; the fake allows a burst of 5 posts in a
// channel and a minute's worth of each tier.
func SlackLimits() Limits {
	return Limits{
		ChannelPosts: Rate{Every: time.Second, Burst: 5},
		Tier3:        Rate{Every: 1200 * time.Millisecond, Burst: 50},
		Tier4:        Rate{Every: 600 * time.Millisecond, Burst: 100},
	}
}

// Faster divides every interval by k, for tests that want the limits
// enforced without waiting Slack's seconds.
func (l Limits) Faster(k int) Limits {
	l.ChannelPosts.Every /= time.Duration(k)
	l.Tier3.Every /= time.Duration(k)
	l.Tier4.Every /= time.Duration(k)
	return l
}

var tiers = map[string]int{
	"chat.update": 3, "reactions.add": 3, "conversations.history": 3, "conversations.replies": 3,
	"chat.getPermalink": 4, "chat.postEphemeral": 4, "files.getUploadURLExternal": 4, "views.open": 4, "views.publish": 4,
}

type bucket struct {
	tokens float64
	at     time.Time
}

// limiter holds the fake's buckets.
type limiter struct {
	mu      sync.Mutex
	limits  Limits
	buckets map[string]*bucket
	refused map[string]int
}

// take spends a token of key's bucket under r, or says how long until one
// is there.
func (l *limiter) take(key string, r Rate, now time.Time) (ok bool, retry time.Duration) {
	if r.Every <= 0 || r.Burst <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(r.Burst), at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(float64(r.Burst), b.tokens+float64(now.Sub(b.at))/float64(r.Every))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	l.refused[key]++
	return false, time.Duration((1 - b.tokens) * float64(r.Every))
}

// allow applies the limits to a call of method in channel.
func (l *limiter) allow(method, channel string, now time.Time) (bool, time.Duration) {
	switch {
	case method == "chat.postMessage" || method == "files.completeUploadExternal":
		return l.take("post:"+channel, l.limits.ChannelPosts, now)
	case tiers[method] == 3:
		return l.take(method, l.limits.Tier3, now)
	case tiers[method] == 4:
		return l.take(method, l.limits.Tier4, now)
	}
	return true, 0
}

// RateLimited returns how many calls the fake refused for going past its
// Limits, by bucket ("post:CHANNEL" or the method).
func (s *Server) RateLimited() map[string]int {
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.limiter.refused {
		out[k] = v
	}
	return out
}

// Violations returns what Slack would have refused as breaking Block Kit's
// or message metadata's limits, one line each; the fake refused those
// calls with Slack's error.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Block Kit's limits (docs/slack.md).
const (
	maxBlocks      = 50
	maxSectionText = 3000
	maxFields      = 10
	maxFieldText   = 2000
	maxHeaderText  = 150
	maxContextEls  = 10
	maxActionEls   = 25
	maxButtonText  = 75
	maxButtonValue = 2000
	maxActionID    = 255
	maxBlockText   = 12000 // msg_blocks_too_long has been seen near 13k
	maxText        = 40000
)

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type block struct {
	Type     string          `json:"type"`
	Text     *textObject     `json:"text"`
	Fields   []textObject    `json:"fields"`
	Elements json.RawMessage `json:"elements"`
	BlockID  string          `json:"block_id"`
}

// checkMessage returns Slack's error for a message past its limits, and
// what was wrong, or "" for a message Slack takes.
func checkMessage(text string, blocksJSON, metadataJSON string) (code, why string) {
	if utf8.RuneCountInString(text) > maxText {
		return "msg_too_long", fmt.Sprintf("text of %d characters", utf8.RuneCountInString(text))
	}
	if blocksJSON != "" {
		var blocks []block
		if err := json.Unmarshal([]byte(blocksJSON), &blocks); err != nil {
			return "invalid_blocks_format", err.Error()
		}
		if len(blocks) > maxBlocks {
			return "invalid_blocks", fmt.Sprintf("%d blocks", len(blocks))
		}
		total := 0
		ids := map[string]bool{}
		for i, b := range blocks {
			if b.BlockID != "" {
				if ids[b.BlockID] {
					return "invalid_blocks", fmt.Sprintf("block %d: block_id %q repeated", i, b.BlockID)
				}
				ids[b.BlockID] = true
			}
			switch b.Type {
			case "header":
				if b.Text == nil || utf8.RuneCountInString(b.Text.Text) > maxHeaderText {
					return "invalid_blocks", fmt.Sprintf("block %d: header text missing or past %d", i, maxHeaderText)
				}
				total += len(b.Text.Text)
			case "section":
				if b.Text == nil && len(b.Fields) == 0 {
					return "invalid_blocks", fmt.Sprintf("block %d: section without text or fields", i)
				}
				if b.Text != nil {
					n := utf8.RuneCountInString(b.Text.Text)
					if n == 0 || n > maxSectionText {
						return "invalid_blocks", fmt.Sprintf("block %d: section text of %d characters", i, n)
					}
					total += len(b.Text.Text)
				}
				if len(b.Fields) > maxFields {
					return "invalid_blocks", fmt.Sprintf("block %d: %d fields", i, len(b.Fields))
				}
				for _, f := range b.Fields {
					if n := utf8.RuneCountInString(f.Text); n > maxFieldText {
						return "invalid_blocks", fmt.Sprintf("block %d: field of %d characters", i, n)
					}
					total += len(f.Text)
				}
			case "context", "actions":
				var els []map[string]json.RawMessage
				json.Unmarshal(b.Elements, &els)
				limit := maxContextEls
				if b.Type == "actions" {
					limit = maxActionEls
				}
				if len(els) == 0 || len(els) > limit {
					return "invalid_blocks", fmt.Sprintf("block %d: %s block of %d elements", i, b.Type, len(els))
				}
				for _, e := range els {
					var typ, str, value, actionID string
					var obj textObject
					json.Unmarshal(e["type"], &typ)
					json.Unmarshal(e["value"], &value)
					json.Unmarshal(e["action_id"], &actionID)
					switch typ {
					case "mrkdwn", "plain_text":
						json.Unmarshal(e["text"], &str)
						total += len(str)
					case "button":
						json.Unmarshal(e["text"], &obj)
						if obj.Text == "" || utf8.RuneCountInString(obj.Text) > maxButtonText || len(value) > maxButtonValue || len(actionID) > maxActionID {
							return "invalid_blocks", fmt.Sprintf("block %d: a button past its limits", i)
						}
					}
				}
			}
		}
		if total > maxBlockText {
			return "msg_blocks_too_long", fmt.Sprintf("%d characters of block text", total)
		}
	}
	if metadataJSON != "" {
		var md struct {
			EventType    string                     `json:"event_type"`
			EventPayload map[string]json.RawMessage `json:"event_payload"`
		}
		if err := json.Unmarshal([]byte(metadataJSON), &md); err != nil || md.EventType == "" {
			return "invalid_metadata_format", "metadata without an event_type"
		}
		for k, v := range md.EventPayload {
			if why := flatValue(v, 0); why != "" {
				return "invalid_metadata_schema", "event_payload." + k + ": " + why
			}
		}
	}
	return "", ""
}

// flatValue says what is wrong with a metadata value: scalars, flat
// objects and arrays of scalars or flat objects are allowed (docs/slack.md).
func flatValue(v json.RawMessage, depth int) string {
	var arr []json.RawMessage
	var obj map[string]json.RawMessage
	switch {
	case json.Unmarshal(v, &arr) == nil:
		if depth > 0 {
			return "an array inside an object or array"
		}
		for _, e := range arr {
			if why := flatValue(e, 1); why != "" {
				return why
			}
		}
	case json.Unmarshal(v, &obj) == nil:
		for k, e := range obj {
			var inner map[string]json.RawMessage
			var innerArr []json.RawMessage
			if json.Unmarshal(e, &inner) == nil || json.Unmarshal(e, &innerArr) == nil {
				return k + ": a value inside an object must be a scalar"
			}
		}
	}
	return ""
}

func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
