package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/balancebot/balancebot/internal/rules"
)

// The item buttons' contract (workflow.md): each action_id is "item_" and
// the act; the thread's blocks are "item:ID" (the line) and
// "item-actions:ID" (the buttons); the dismiss modal is item_dismiss.
const (
	itemBlockPrefix   = "item:"
	actionsPrefix     = "item-actions:"
	dismissCallbackID = "item_dismiss"
)

// dismissing is what the dismiss modal carries in private_metadata: the
// item, and the thread message to update once it is dismissed.
type dismissing struct {
	Channel string `json:"c"`
	TS      string `json:"ts"`
	ID      int64  `json:"id"`
}

// onInteractive answers a button, a select or a modal. Each is acked at
// once; a modal's submission is acked with the note's error, if any, so
// the modal stays open and says what to fix.
func (b *Bot) onInteractive(ctx context.Context, req *socketmode.Request, cb slack.InteractionCallback) {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		b.sm.Ack(*req)
		if !b.channelAllowed(cb.Channel.ID) {
			return
		}
		for _, a := range cb.ActionCallback.BlockActions {
			if a.ActionID == showNamesAction {
				start := b.reserve()
				start(func(ctx context.Context) { b.showNames(ctx, cb, a.Value) })
				continue
			}
			kind, ok := strings.CutPrefix(a.ActionID, "item_")
			if !ok {
				continue
			}
			id, err := itemID(a)
			if err != nil {
				b.log.Warn("an item action without an item", "action", a.ActionID)
				continue
			}
			act := rules.Action{Kind: rules.ActionKind(kind), By: cb.User.ID, At: b.cfg.Clock.Now(), Assignee: a.SelectedUser}
			if act.Kind == rules.ActDismiss {
				// The trigger lasts three seconds: the modal opens now.
				start := b.reserve()
				start(func(ctx context.Context) { b.openDismiss(ctx, cb, id) })
				continue
			}
			start := b.reserve()
			start(func(ctx context.Context) { b.act(ctx, cb, id, act) })
		}
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID != dismissCallbackID {
			b.sm.Ack(*req)
			return
		}
		b.submitDismiss(ctx, req, cb)
	default:
		b.sm.Ack(*req)
	}
}

// itemID reads the item's id from a button's value, or from the block's
// id for a select (which has no value).
func itemID(a *slack.BlockAction) (int64, error) {
	if a.Value != "" {
		return strconv.ParseInt(a.Value, 10, 64)
	}
	return strconv.ParseInt(strings.TrimPrefix(a.BlockID, actionsPrefix), 10, 64)
}

// act applies a person's act to an item and shows it in place. A refused
// act (a closed item) is told to that person only.
func (b *Bot) act(ctx context.Context, cb slack.InteractionCallback, id int64, a rules.Action) {
	channel := cb.Channel.ID
	var changed bool
	it, err := b.cfg.Store.UpdateItem(ctx, channel, id, func(it *rules.Item) error {
		var err error
		changed, err = it.Apply(a)
		return err
	})
	if err != nil {
		b.refuse(ctx, channel, cb.User.ID, err)
		return
	}
	b.log.Info("item changed", "item", id, "act", string(a.Kind), "changed", changed)
	if changed {
		b.showItem(ctx, channel, cb.Message.Timestamp, cb.Message.Msg.Text, cb.Message.Blocks.BlockSet, it)
	}
}

// refuse tells the user why an act was not applied: the rules' words, or
// a fault of ours.
func (b *Bot) refuse(ctx context.Context, channel, user string, err error) {
	if rules.ErrorCode(err) == rules.EInternal {
		b.log.Error("cannot change an item", "err", err.Error())
		b.ephemeral(ctx, channel, user, ":x: I could not save that (a storage fault on our side). Try again in a minute.")
		return
	}
	b.ephemeral(ctx, channel, user, ":grey_question: "+rules.SafeMessage(err))
}

// showItem updates the thread message in place: the item's line and
// buttons are rendered again from its state.
func (b *Bot) showItem(ctx context.Context, channel, ts, text string, blocks []slack.Block, it *rules.Item) {
	if ts == "" || len(blocks) == 0 {
		return
	}
	id := strconv.FormatInt(it.ID, 10)
	var out []slack.Block
	found := false
	for _, bl := range blocks {
		switch blockID(bl) {
		case itemBlockPrefix + id:
			out = append(out, b.cfg.Render.ItemBlocks(it, b.cfg.FullNames)...)
			found = true
		case actionsPrefix + id:
		default:
			out = append(out, bl)
		}
	}
	if !found {
		return
	}
	err := b.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(out...))
		return err
	})
	if err != nil {
		b.log.Warn("cannot update the item in the thread", "err", err.Error())
	}
}

func blockID(bl slack.Block) string {
	switch v := bl.(type) {
	case *slack.SectionBlock:
		return v.BlockID
	case *slack.ActionBlock:
		return v.BlockID
	}
	return ""
}

// openDismiss opens the modal that asks for the note.
func (b *Bot) openDismiss(ctx context.Context, cb slack.InteractionCallback, id int64) {
	it, err := b.cfg.Store.Item(ctx, cb.Channel.ID, id)
	if err != nil && rules.ErrorCode(err) != rules.ENotFound {
		b.refuse(ctx, cb.Channel.ID, cb.User.ID, err)
		return
	}
	if err != nil || !it.State.IsOpen() {
		b.ephemeral(ctx, cb.Channel.ID, cb.User.ID, ":grey_question: That difference is no longer open: a balance resolved it or someone dismissed it. `/balance open` lists what is.")
		return
	}
	private, _ := json.Marshal(dismissing{Channel: cb.Channel.ID, TS: cb.Message.Timestamp, ID: id})
	view := b.cfg.Render.DismissModal(it, b.cfg.FullNames, string(private))
	err = b.call(ctx, "views.open", func(ctx context.Context) error {
		_, err := b.api.OpenViewContext(ctx, cb.TriggerID, view)
		return err
	})
	if err != nil {
		b.log.Warn("cannot open the dismiss modal", "err", err.Error())
		b.ephemeral(ctx, cb.Channel.ID, cb.User.ID, ":x: Slack would not open the dismiss form; click Dismiss again.")
	}
}

// submitDismiss dismisses the item with the modal's note. The store is
// written before the ack, so a missing note keeps the modal open with the
// reason; the thread is updated after.
func (b *Bot) submitDismiss(ctx context.Context, req *socketmode.Request, cb slack.InteractionCallback) {
	var d dismissing
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &d); err != nil || d.ID == 0 {
		b.sm.Ack(*req)
		b.log.Warn("a dismiss form without its item")
		return
	}
	note, block := "", ""
	for bid, actions := range cb.View.State.Values {
		for _, v := range actions {
			if v.Type == "plain_text_input" {
				note, block = v.Value, bid
			}
		}
	}
	a := rules.Action{Kind: rules.ActDismiss, By: cb.User.ID, At: b.cfg.Clock.Now(), Note: note}
	it, err := b.cfg.Store.UpdateItem(ctx, d.Channel, d.ID, func(it *rules.Item) error {
		_, err := it.Apply(a)
		return err
	})
	if err != nil && rules.ErrorCode(err) == rules.EInvalid && block != "" {
		b.sm.Ack(*req, map[string]any{"response_action": "errors", "errors": map[string]string{block: clipText(rules.SafeMessage(err), 150)}})
		return
	}
	b.sm.Ack(*req)
	if err != nil {
		b.refuse(ctx, d.Channel, cb.User.ID, err)
		return
	}
	b.log.Info("item dismissed", "item", d.ID)
	start := b.reserve()
	start(func(ctx context.Context) {
		msg, err := b.threadMessage(ctx, d.Channel, d.TS)
		if err != nil {
			b.log.Warn("cannot find the item's thread message", "err", err.Error())
			return
		}
		b.showItem(ctx, d.Channel, d.TS, msg.Text, msg.Blocks.BlockSet, it)
	})
}

// threadMessage reads one message back (a thread reply, by its ts).
func (b *Bot) threadMessage(ctx context.Context, channel, ts string) (*slack.Message, error) {
	var msgs []slack.Message
	err := b.call(ctx, "conversations.replies", func(ctx context.Context) error {
		var err error
		msgs, _, _, err = b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts, Inclusive: true})
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		if msgs[i].Timestamp == ts {
			return &msgs[i], nil
		}
	}
	return nil, fmt.Errorf("message %s not found", ts)
}
