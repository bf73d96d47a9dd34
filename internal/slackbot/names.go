package slackbot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/balancebot/balancebot/internal/rules"
)

// showNamesAction is the summary's Show names button (workflow.md); its
// value is the balance's period, "FROM/TO".
const showNamesAction = "show_names"

// allowedPHI reports whether user may see patient data: listed in
// PHIUsers, or a member of PHIUsergroup (asked of Slack each time, so a
// removal counts at once). A failure to ask refuses.
func (b *Bot) allowedPHI(ctx context.Context, user string) (bool, error) {
	if slices.Contains(b.cfg.PHIUsers, user) {
		return true, nil
	}
	if b.cfg.PHIUsergroup == "" {
		return false, nil
	}
	var members []string
	err := b.call(ctx, "usergroups.users.list", func(ctx context.Context) error {
		var err error
		members, err = b.api.GetUserGroupMembersContext(ctx, b.cfg.PHIUsergroup)
		return err
	})
	if err != nil {
		return false, err
	}
	return slices.Contains(members, user), nil
}

// whoGrants says who can see patient data, and so who to ask.
func (b *Bot) whoGrants() string {
	var who []string
	for _, u := range b.cfg.PHIUsers {
		who = append(who, "<@"+u+">")
	}
	if b.cfg.PHIUsergroup != "" {
		who = append(who, "<!subteam^"+b.cfg.PHIUsergroup+">")
	}
	if len(who) == 0 {
		return "Nobody here may see them yet: whoever runs balancebot grants access by adding Slack user ids to BALANCEBOT_PHI_USERS, or a user group to BALANCEBOT_PHI_USERGROUP."
	}
	return "Those allowed are " + strings.Join(who, ", ") + ". Whoever runs balancebot grants access (BALANCEBOT_PHI_USERS, BALANCEBOT_PHI_USERGROUP); ask them, or ask one of those allowed to look the visit up."
}

// showNames answers the Show names button: to a user allowed to see
// patient data, the balance's visits with full names, ids, accounts,
// therapist and exception type, as messages only they see, and the
// full-name CSV by direct message; to anyone else, a refusal that says
// who can grant access. The balance is made again from the uploads kept,
// so nothing with patient data is kept in Slack's button.
func (b *Bot) showNames(ctx context.Context, cb slack.InteractionCallback, value string) {
	channel, user := cb.Channel.ID, cb.User.ID
	ok, err := b.allowedPHI(ctx, user)
	if err != nil {
		b.log.Warn("cannot read the PHI user group", "err", err.Error())
		b.ephemeral(ctx, channel, user, ":x: I could not check whether you may see patient names (Slack did not answer). Try again in a minute.")
		return
	}
	b.log.Info("show names", "user", user, "allowed", ok)
	if !ok {
		b.ephemeral(ctx, channel, user, ":lock: Patient names are shown only to the staff allowed to see patient data. "+b.whoGrants())
		return
	}
	from, to, _ := strings.Cut(value, "/")
	f, err1 := rules.ParseISODate(from)
	t, err2 := rules.ParseISODate(to)
	if err1 != nil || err2 != nil {
		b.log.Warn("a Show names button without its period")
		b.ephemeral(ctx, channel, user, ":grey_question: That button does not say which balance it belongs to. Use Show names on the latest summary, or run `/balance week` for a fresh one.")
		return
	}
	bal, err := b.cfg.Service.BalancePeriod(ctx, channel, rules.Period{From: f, To: t})
	if err != nil || bal.Result == nil {
		if err != nil {
			b.log.Error("cannot read stored uploads", "err", err.Error())
		}
		b.ephemeral(ctx, channel, user, ":grey_question: The exports of that balance are no longer kept here (they are purged after the retention period), so I cannot show its names. Balance again from fresh exports.")
		return
	}
	res := bal.Result
	msgs := b.cfg.Render.Details(res, nil, true)
	for i, m := range msgs {
		err := b.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
			_, err := b.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(fmt.Sprintf("Names, %s (part %d of %d)", res.Period().Short(), i+1, len(msgs)), false),
				slack.MsgOptionBlocks(m.Blocks.BlockSet...))
			return err
		})
		if err != nil {
			b.log.Warn("cannot post the names", "err", err.Error())
			break
		}
	}
	var dm string
	err = b.call(ctx, "conversations.open", func(ctx context.Context) error {
		ch, _, _, err := b.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
		if err == nil {
			dm = ch.ID
		}
		return err
	})
	if err == nil {
		err = b.uploadCSV(ctx, dm, "", res, nil, true, "")
	}
	if err != nil {
		b.log.Warn("cannot send the full-name CSV", "err", err.Error())
		b.ephemeral(ctx, channel, user, ":x: I could not send you the full-name CSV by direct message; click Show names again.")
		return
	}
	b.ephemeral(ctx, channel, user, ":lock: The CSV with full names is in your direct messages with me. It holds patient data: keep it there, and delete it when the visits are worked.")
}
