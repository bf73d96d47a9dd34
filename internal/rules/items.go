package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file is the open-items ledger's rules (../shared/docs/workflow.md):
// what an item is, how each balance that covers it re-evaluates it, what
// people may do to it, and what is kept once it is closed. The store keeps
// items; these rules decide every change to them.

// ItemState is where an item stands.
type ItemState string

const (
	// ItemOpen needs action.
	ItemOpen ItemState = "open"
	// ItemFixed is open until a balance confirms the fix: someone said
	// they corrected it.
	ItemFixed ItemState = "fixed"
	// ItemResolved was matched, or explained, by a later balance.
	ItemResolved ItemState = "resolved"
	// ItemDismissed was explained by a person, with a note; its mismatch
	// stays listed but no longer needs action.
	ItemDismissed ItemState = "dismissed"
)

// IsOpen reports whether the item still needs action: open, or fixed and
// not yet confirmed.
func (s ItemState) IsOpen() bool { return s == ItemOpen || s == ItemFixed }

// ItemKey identifies an item: one needs-action mismatch, by location,
// side, patient and date of service. The patient is held by every
// identity the mismatch carried, so an item is found again when a later
// export names the patient differently (ids one week, names only the next).
type ItemKey struct {
	Location      string `json:"location"`
	Side          Side   `json:"side"`
	DateOfService Date   `json:"date_of_service"`
	// NameKey is the patient's NameKey; PatientID and Account are
	// normalised (NormID). Any may be empty.
	NameKey   string `json:"name_key,omitempty"`
	PatientID string `json:"patient_id,omitempty"`
	Account   string `json:"account,omitempty"`
}

// ItemKeyOf is the item key of mismatch m at location.
func ItemKeyOf(location string, m *Mismatch) ItemKey {
	return ItemKey{
		Location:      LocationKey(location),
		Side:          m.Side,
		DateOfService: m.DateOfService,
		NameKey:       NameKey(m.Patient),
		PatientID:     NormID(m.PatientID),
		Account:       NormID(m.Account),
	}
}

// Same reports whether k and o are one item: same location, side and date
// of service, and the same patient as SamePatient decides it (an id both
// carry, else the name).
func (k ItemKey) Same(o ItemKey) bool {
	if k.Location != o.Location || k.Side != o.Side || k.DateOfService != o.DateOfService {
		return false
	}
	if k.anonymous() && o.anonymous() {
		return true // per-day billing lists no patient: one item per day
	}
	return SamePatient(Patient{ID: k.PatientID, Account: k.Account}, k.NameKey,
		Patient{ID: o.PatientID, Account: o.Account}, o.NameKey)
}

func (k ItemKey) anonymous() bool { return k.NameKey == "" && k.PatientID == "" && k.Account == "" }

// Item is one difference worked until it is closed.
type Item struct {
	// ID is the store's; 0 until stored.
	ID  int64   `json:"id"`
	Key ItemKey `json:"key"`
	// Location is the location's name as the latest balance wrote it.
	Location string    `json:"location"`
	State    ItemState `json:"state"`
	// Reason is the latest balance's reason; it may change from one
	// balance to the next.
	Reason Reason `json:"reason"`
	// Mismatch is the latest balance's mismatch, for lists and details.
	Mismatch Mismatch `json:"mismatch"`
	// FirstSeen and LastSeen are the days of the first and the latest
	// balance that showed the mismatch.
	FirstSeen Date `json:"first_seen"`
	LastSeen  Date `json:"last_seen"`
	// Closed is when the item was resolved or dismissed; zero while open.
	Closed   time.Time `json:"closed,omitzero"`
	Assignee string    `json:"assignee,omitempty"`
	// Note is the dismissal's note.
	Note  string   `json:"note,omitempty"`
	Trail []Change `json:"trail"`
}

// Age is the number of days since the item was first seen.
func (it *Item) Age(today Date) int { return int(today - it.FirstSeen) }

// ChangeKind says what a change did.
type ChangeKind string

const (
	ChangeCreated   ChangeKind = "created"
	ChangeReason    ChangeKind = "reason"    // still open, for another reason
	ChangeResolved  ChangeKind = "resolved"  // a balance no longer shows it
	ChangeReopened  ChangeKind = "reopened"  // fixed or resolved, and shown again
	ChangeConfirmed ChangeKind = "confirmed" // fixed, and a balance resolved it
	ChangeFixed     ChangeKind = "fixed"
	ChangeDismissed ChangeKind = "dismissed"
	ChangeAssigned  ChangeKind = "assigned"
	ChangePurged    ChangeKind = "purged"
)

// Change is one line of an item's audit trail: what changed, who changed
// it (a Slack user id, or the balance that changed it), when, and the note.
type Change struct {
	At   time.Time  `json:"at"`
	By   string     `json:"by"`
	What ChangeKind `json:"what"`
	From ItemState  `json:"from,omitempty"`
	To   ItemState  `json:"to,omitempty"`
	// Reason is set by balances; Assignee by assignments.
	Reason   Reason `json:"reason,omitempty"`
	Assignee string `json:"assignee,omitempty"`
	Note     string `json:"note,omitempty"`
}

func (it *Item) record(c Change) {
	c.From = it.State
	it.Trail = append(it.Trail, c)
}

// Balance is what a posted balance tells the ledger.
type Balance struct {
	// By names the balance in the trail ("balance:42").
	By  string
	At  time.Time
	Day Date // the day At falls on, in the practice's time zone
	// Result is the balance.
	Result *Result
	// Owners maps a location key to the Slack users who own it; new
	// items are assigned to the first.
	Owners map[string][]string
}

// LocationItems is one location's share of a re-evaluation: what the
// summary's metadata carries (open_items, resolved_items, dismissed_items).
type LocationItems struct {
	Location string `json:"location"`
	// Open counts the location's items still open after the balance,
	// older ones and fixed-but-unconfirmed ones included; New those the
	// balance created and Reopened those it reopened.
	Open     int `json:"open_items"`
	New      int `json:"new_items"`
	Reopened int `json:"reopened_items"`
	// Resolved counts items from earlier balances that this one resolved;
	// Confirmed those of them that had been marked fixed.
	Resolved  int `json:"resolved_items"`
	Confirmed int `json:"confirmed_items"`
	// Dismissed counts the balance's mismatches that a dismissal covers.
	Dismissed int `json:"dismissed_items"`
	// Balanced is the location's verdict once dismissed items count as
	// explained.
	Balanced bool `json:"balanced"`
	// Owners are the location's clinic owners (Balance.Owners), for the
	// summary to mention when it is not balanced.
	Owners []string `json:"-"`
}

// Reevaluation is what a balance did to the ledger.
type Reevaluation struct {
	// Changed lists the items created or changed, in the order of items
	// and then of the balance's mismatches; the store saves them.
	Changed []*Item
	// Locations follows the result's locations.
	Locations []LocationItems
	// ByKey finds the item of each of the balance's mismatches that is
	// one (open, or dismissed), by the mismatch's own key (ItemKeyOf): the
	// thread shows its state and buttons.
	ByKey map[ItemKey]*Item
}

// Reevaluate applies balance b to the ledger's items. It creates an item
// for each needs-action mismatch no item holds; and every item whose
// location and date of service the balance covers is re-evaluated:
//   - still a needs-action mismatch: it stays (or becomes again) open,
//     with its reason and last seen updated; a fixed one is reopened;
//   - matched now, or no longer needing action: it is resolved by b, and
//     a fixed one is confirmed;
//   - dismissed: it stays dismissed, and its mismatch counts as explained.
//
// Items the balance does not cover are left as they are, and counted as
// open for their location when they are. Reevaluate changes the items in
// place.
func Reevaluate(items []*Item, b Balance) Reevaluation {
	r := b.Result
	out := Reevaluation{ByKey: map[ItemKey]*Item{}}
	changed := map[*Item]bool{}
	mark := func(it *Item) {
		if !changed[it] {
			changed[it] = true
			out.Changed = append(out.Changed, it)
		}
	}
	byLoc := map[string][]*Item{}
	for _, it := range items {
		byLoc[it.Key.Location] = append(byLoc[it.Key.Location], it)
	}
	period := r.Period()
	for i := range r.Locations {
		loc := &r.Locations[i]
		lk := LocationKey(loc.Location)
		li := LocationItems{Location: loc.Location, Owners: b.Owners[lk]}
		held := byLoc[lk]
		// Items are looked up by side and date first: a week may hold
		// thousands at one location.
		type sideDay struct {
			side Side
			dos  Date
		}
		bySideDay := map[sideDay][]*Item{}
		for _, it := range held {
			sd := sideDay{it.Key.Side, it.Key.DateOfService}
			bySideDay[sd] = append(bySideDay[sd], it)
		}
		seen := map[*Item]bool{}
		action := 0
		for mi := range loc.Mismatches {
			m := &loc.Mismatches[mi]
			k := ItemKeyOf(loc.Location, m)
			sd := sideDay{k.Side, k.DateOfService}
			it := find(bySideDay[sd], k)
			if it != nil && seen[it] {
				// A second mismatch of one item (billing's duplicate
				// visits that day): the item holds both.
				if it.State == ItemDismissed && m.NeedsAction {
					li.Dismissed++
				} else if m.NeedsAction {
					action++
				}
				continue
			}
			if it == nil {
				if !m.NeedsAction {
					continue
				}
				it = &Item{Key: k, FirstSeen: b.Day}
				if o := b.Owners[lk]; len(o) > 0 {
					it.Assignee = o[0]
				}
				it.record(Change{At: b.At, By: b.By, What: ChangeCreated, To: ItemOpen, Reason: m.Reason, Assignee: it.Assignee})
				it.State = ItemOpen
				held = append(held, it)
				byLoc[lk] = held
				bySideDay[sd] = append(bySideDay[sd], it)
				li.New++
			} else if it.State == ItemDismissed {
				if m.NeedsAction {
					li.Dismissed++
				}
				seen[it] = true
				out.ByKey[k] = it
				continue
			} else if !m.NeedsAction {
				continue // resolved below, as unseen
			} else {
				switch it.State {
				case ItemFixed, ItemResolved:
					it.record(Change{At: b.At, By: b.By, What: ChangeReopened, To: ItemOpen, Reason: m.Reason})
					it.State, it.Closed = ItemOpen, time.Time{}
					li.Reopened++
				default:
					if it.Reason != m.Reason {
						it.record(Change{At: b.At, By: b.By, What: ChangeReason, To: ItemOpen, Reason: m.Reason})
					}
				}
			}
			seen[it] = true
			out.ByKey[k] = it
			action++
			it.Reason, it.Mismatch, it.Location = m.Reason, *m, loc.Location
			if it.LastSeen < b.Day {
				it.LastSeen = b.Day
			}
			mark(it)
		}
		for _, it := range held {
			if seen[it] || !it.State.IsOpen() || !period.Contains(it.Key.DateOfService) {
				continue
			}
			what := ChangeResolved
			if it.State == ItemFixed {
				what = ChangeConfirmed
				li.Confirmed++
			}
			it.record(Change{At: b.At, By: b.By, What: what, To: ItemResolved})
			it.State, it.Closed = ItemResolved, b.At
			li.Resolved++
			mark(it)
		}
		for _, it := range held {
			if it.State.IsOpen() {
				li.Open++
			}
		}
		li.Balanced = action == 0
		out.Locations = append(out.Locations, li)
	}
	return out
}

func find(items []*Item, k ItemKey) *Item {
	for _, it := range items {
		if it.Key.Same(k) {
			return it
		}
	}
	return nil
}

// ActionKind is what a person does to an item.
type ActionKind string

const (
	ActFixed   ActionKind = "fixed"
	ActDismiss ActionKind = "dismiss"
	ActAssign  ActionKind = "assign"
)

// Action is one person's act on an item, from a button or a modal.
type Action struct {
	Kind ActionKind
	By   string // the Slack user id
	At   time.Time
	// Note is required to dismiss.
	Note string
	// Assignee is the user assigned; "" unassigns.
	Assignee string
}

// MaxNoteLen bounds a dismissal's note, in characters.
const MaxNoteLen = 500

// Apply applies a person's act to the item. It reports whether anything
// changed: the same act twice (a double click, a retried envelope) changes
// nothing and records nothing. A closed item takes no act; a dismissal
// needs a note.
func (it *Item) Apply(a Action) (changed bool, err error) {
	if !it.State.IsOpen() {
		return false, Errorf("this item is closed: it was %s %s, so there is nothing left to do", it.State, closedBy(it))
	}
	switch a.Kind {
	case ActFixed:
		if it.State == ItemFixed {
			return false, nil
		}
		it.record(Change{At: a.At, By: a.By, What: ChangeFixed, To: ItemFixed})
		it.State = ItemFixed
	case ActDismiss:
		note := strings.TrimSpace(a.Note)
		switch {
		case note == "":
			return false, Errorf("a dismissal needs a note that says why the difference needs no action")
		case len([]rune(note)) > MaxNoteLen:
			return false, Errorf("the note is longer than %d characters: shorten it", MaxNoteLen)
		}
		it.record(Change{At: a.At, By: a.By, What: ChangeDismissed, To: ItemDismissed, Note: note})
		it.State, it.Note, it.Closed = ItemDismissed, note, a.At
	case ActAssign:
		if it.Assignee == a.Assignee {
			return false, nil
		}
		it.record(Change{At: a.At, By: a.By, What: ChangeAssigned, To: it.State, Assignee: a.Assignee})
		it.Assignee = a.Assignee
	default:
		return false, fmt.Errorf("unknown action %q", a.Kind)
	}
	return true, nil
}

func closedBy(it *Item) string {
	for i := len(it.Trail) - 1; i >= 0; i-- {
		if c := it.Trail[i]; c.To == it.State {
			return "by " + c.By
		}
	}
	return ""
}

// Purgeable reports whether the item is closed and was closed before
// cutoff: the end of the retention period, as for uploads.
func (it *Item) Purgeable(cutoff time.Time) bool {
	return !it.State.IsOpen() && !it.Closed.IsZero() && it.Closed.Before(cutoff)
}

// Purge keeps what an audit needs of a closed item and no patient data:
// the location, side, date of service, states, people and times stay; the
// patient, the mismatch's details and every note go (notes are free text
// and may name the patient).
func (it *Item) Purge(at time.Time) {
	it.Key.NameKey, it.Key.PatientID, it.Key.Account = "", "", ""
	it.Mismatch = Mismatch{Side: it.Mismatch.Side, DateOfService: it.Mismatch.DateOfService, Reason: it.Mismatch.Reason, NeedsAction: it.Mismatch.NeedsAction}
	it.Note = ""
	for i := range it.Trail {
		it.Trail[i].Note = ""
	}
	it.Trail = append(it.Trail, Change{At: at, By: "retention", What: ChangePurged, From: it.State, To: it.State})
}

// SortOldest orders items as lists show them: the oldest first, then by
// location, date of service, side and patient.
func SortOldest(items []*Item) {
	slices.SortStableFunc(items, func(a, b *Item) int {
		return cmp.Or(cmp.Compare(a.FirstSeen, b.FirstSeen), cmp.Compare(a.Key.Location, b.Key.Location),
			cmp.Compare(a.Key.DateOfService, b.Key.DateOfService), cmp.Compare(a.Key.Side, b.Key.Side),
			cmp.Compare(a.Key.NameKey, b.Key.NameKey))
	})
}
