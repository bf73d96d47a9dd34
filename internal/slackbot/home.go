package slackbot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/balancebot/balancebot/internal/rules"
)

// maxHomeAssigned bounds the viewer's items listed on the App Home.
const maxHomeAssigned = 20

// publishHome publishes the App Home for user (workflow.md): for each
// channel the bot works in, this week's and last week's verdict per
// location with its open items and the oldest one's age, and links to the
// latest summaries; then the open items assigned to the viewer. Patients
// are masked, as in the channel.
func (b *Bot) publishHome(ctx context.Context, user string) {
	blocks, err := b.homeBlocks(ctx, user)
	if err != nil {
		b.log.Error("cannot build the App Home", "err", err.Error())
		blocks = []slack.Block{section(":x: I could not read what is stored (a storage fault on our side). Open this tab again in a minute.")}
	}
	err = b.call(ctx, "views.publish", func(ctx context.Context) error {
		_, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user,
			View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}})
		return err
	})
	if err != nil {
		b.log.Warn("cannot publish the App Home", "err", err.Error())
	}
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, clipText(text, 2900), false, false), nil, nil)
}

func (b *Bot) homeBlocks(ctx context.Context, user string) ([]slack.Block, error) {
	channels := b.cfg.Channels
	if len(channels) == 0 {
		var err error
		if channels, err = b.cfg.Store.Channels(ctx); err != nil {
			return nil, err
		}
	}
	blocks := []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Balancing EMR against billing", false, false))}
	if len(channels) == 0 {
		return append(blocks, section("Nothing is balanced yet. Invite me to the billing channel (`/invite @balancebot`) and drop the week's exports there; `/balance help` says which.")), nil
	}
	today := b.today()
	var mine []*rules.Item
	for _, ch := range channels {
		if len(blocks) > 90 {
			blocks = append(blocks, section(fmt.Sprintf("…and more channels: `/balance status` in each says how it stands.")))
			break
		}
		items, err := b.cfg.Store.Items(ctx, ch)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if it.State.IsOpen() && it.Assignee == user {
				mine = append(mine, it)
			}
		}
		blocks = append(blocks, slack.NewDividerBlock(), section(fmt.Sprintf("*<#%s>*", ch)))
		for _, w := range []statusWeek{
			{Name: "This week", Period: rules.Period{From: weekOf(today).From, To: today}},
			{Name: "Last week", Period: weekOf(today.AddDays(-7))},
		} {
			covs, err := b.cfg.Service.Standing(ctx, ch, w.Period)
			if err != nil {
				return nil, err
			}
			text := fmt.Sprintf("*%s* (%s)\n", w.Name, w.Period.Short())
			if len(covs) == 0 {
				blocks = append(blocks, section(text+"nothing uploaded"))
				continue
			}
			posted, err := b.cfg.Store.LatestResult(ctx, ch, w.Period)
			if err != nil {
				return nil, err
			}
			lines := statusLines(covs, w.Period, posted, openByLocation(items, w.Period, today))
			// The App Home is for a glance: the verdicts, not the exports.
			for i, l := range lines {
				if verdict, _, ok := strings.Cut(l, " · "); ok {
					lines[i] = verdict
				}
			}
			if posted != nil {
				lines = append(lines, verdictLine(posted))
			}
			blocks = append(blocks, section(text+strings.Join(lines, "\n")))
		}
	}
	blocks = append(blocks, slack.NewDividerBlock())
	if len(mine) == 0 {
		return append(blocks, section("*Assigned to you*\nNothing open is assigned to you.")), nil
	}
	rules.SortOldest(mine)
	var s strings.Builder
	fmt.Fprintf(&s, "*Assigned to you* (%d open, oldest first)\n", len(mine))
	for i, it := range mine {
		if i == maxHomeAssigned {
			fmt.Fprintf(&s, "…and %d more: `/balance open` in the channel lists them.", len(mine)-i)
			break
		}
		s.WriteString("• *" + esc(it.Location) + "* · " + b.cfg.Render.ItemLine(it, today, b.cfg.FullNames) + "\n")
	}
	return append(blocks, section(s.String())), nil
}
