package slackbot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// onSlash answers a slash command: the ack, within Slack's three seconds,
// carries the immediate ephemeral reply.
func (b *Bot) onSlash(ctx context.Context, req *socketmode.Request, cmd slack.SlashCommand) {
	b.sm.Ack(*req, map[string]any{"response_type": "ephemeral", "text": usage})
}

const usage = "Drop the week's exports in this channel and I will balance them: the EMR Billing Report (SOAP 1.0) or Documented Visits (SOAP 2.0), and the Charge Audit Summary, plus the Claims Feed, Billing Exceptions, Documented Units and Insurance Class Summary if you have them."
