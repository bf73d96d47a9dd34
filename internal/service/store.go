package service

import (
	"context"
	"time"

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/rules"
)

// Upload is an export a user shared in a channel, read and kept so that
// later balances, and /balance week, can use it.
type Upload struct {
	ID      int64
	Channel string
	// FileID is Slack's id for the file; MessageTS the message that shared
	// it; User who shared it.
	FileID    string
	FileName  string
	User      string
	MessageTS string
	At        time.Time
	// Hash is the SHA-256 of the file's bytes: the same file shared twice is
	// recognised and counted once.
	Hash   string
	Report *engine.Report
}

// Period is the dates of service the upload covers: the range its report
// states, else the dates it has rows for.
func (u *Upload) Period() rules.Period {
	if p := u.Report.Period; !p.From.IsZero() && !p.To.IsZero() {
		return p
	}
	return u.Report.DateSpan()
}

// UploadStore keeps uploads. Implementations must be safe for concurrent
// use.
type UploadStore interface {
	// SaveUpload keeps u and sets its ID. When the channel already holds
	// the same content, nothing is saved and that earlier upload is
	// returned with dup set.
	SaveUpload(ctx context.Context, u *Upload) (earlier *Upload, dup bool, err error)
	// Uploads returns the channel's uploads whose period overlaps p, oldest
	// first, older exports that newer ones replace included: the rules say
	// what a newer export replaces (rules.Latest). The reports of uploads in known (by ID) are taken
	// from there instead of being read back: a balance right after an
	// upload already holds them.
	Uploads(ctx context.Context, channel string, p rules.Period, known ...*Upload) ([]*Upload, error)
}

// Posted is a balance the bot posted: where, for which dates, and its
// verdict. It carries counts and location names only, never patients.
type Posted struct {
	ID          int64
	Channel     string
	TS          string // the summary message
	Link        string // its permalink
	Period      rules.Period
	Balanced    bool
	Locations   []string
	NeedsAction int
	// At is when it was posted, or last updated in place.
	At time.Time
	// Revision counts the updates in place.
	Revision int
	// Thread says what the summary's thread shows: per location
	// (rules.LocationKey), a digest of its figures and differences as
	// last posted there, so an update posts only what changed.
	Thread map[string]string
	// SupersededBy is the later balance that replaced this one, if any.
	SupersededBy int64
}

// ResultStore keeps the balances posted.
type ResultStore interface {
	SaveResult(ctx context.Context, p *Posted) error
	// LatestResult returns the balance posted in channel that covers the
	// most of p (the latest of those), or nil.
	LatestResult(ctx context.Context, channel string, p rules.Period) (*Posted, error)
	// Summaries returns the balances posted in channel, not superseded,
	// whose period lies within p, latest first (at most ten).
	Summaries(ctx context.Context, channel string, p rules.Period) ([]*Posted, error)
	// UpdateResult rewrites a balance posted (by its ID): updated in
	// place, its thread caught up, or superseded.
	// Thread is not written: SaveThread writes it.
	UpdateResult(ctx context.Context, p *Posted) error
	// Result returns the channel's balance posted with id, or nil.
	Result(ctx context.Context, channel string, id int64) (*Posted, error)
	// SaveThread records what a balance's thread shows (Posted.Thread).
	SaveThread(ctx context.Context, channel string, id int64, thread map[string]string) error
	// Channels lists the channels that hold uploads, balances or items.
	Channels(ctx context.Context) ([]string, error)
}

// ReminderStore keeps when each reminder last went to each channel, so a
// restart neither repeats nor loses one.
type ReminderStore interface {
	// LastReminder returns the scheduled time of the last reminder name
	// sent to channel; ok is false when none was.
	LastReminder(ctx context.Context, name, channel string) (slot time.Time, ok bool, err error)
	SetReminder(ctx context.Context, name, channel string, slot time.Time) error
	// ClaimReminder records slot as reminder name's last for channel if
	// the last recorded is earlier (or none is), and reports whether it
	// did: of replicas due to send the same slot, one claims it.
	ClaimReminder(ctx context.Context, name, channel string, slot time.Time) (bool, error)
}

// ItemStore keeps each channel's open-items ledger (rules.Item;
// docs/workflow.md). Implementations must be safe for concurrent use.
type ItemStore interface {
	// Items returns the channel's items at the locations given (by
	// rules.LocationKey; all when none are), open or closed, oldest first.
	Items(ctx context.Context, channel string, locations ...string) ([]*rules.Item, error)
	// Item returns the channel's item id, or a rules.ENotFound error.
	Item(ctx context.Context, channel string, id int64) (*rules.Item, error)
	// SaveItems writes items at once, giving new ones (ID 0) their IDs.
	SaveItems(ctx context.Context, channel string, items []*rules.Item) error
	// UpdateItem reads the item, lets change change it, and writes it
	// back, all in one transaction, so two people's acts do not lose one
	// another. An error from change is returned and nothing is written;
	// so is a rules.ENotFound error when the channel has no such item.
	UpdateItem(ctx context.Context, channel string, id int64, change func(*rules.Item) error) (*rules.Item, error)
}

// Job is a message that shared files, recorded before it is handled so
// that a crash or restart resumes it: the user gets one answer, never zero
// and never two.
type Job struct {
	ID      int64
	EventID string
	Channel string
	// Payload is the message as the Slack adapter needs it again.
	Payload []byte
	// StatusTS is the progress reply, once posted; ResultTS the balance
	// posted for the job, once posted, so a resumed job posts neither twice.
	StatusTS string
	ResultTS string
	// Attempts counts the attempts started, recorded as each starts;
	// Ended those that ended, in success or in an error the bot handled.
	// An attempt that started and never ended took the process down.
	Attempts int
	Ended    int
	// Owner is the replica that holds the job's lease, until LeaseUntil.
	Owner      string
	LeaseUntil time.Time
	Created    time.Time
}

// Job states.
const (
	JobPending = "pending"
	JobDone    = "done"
	JobFailed  = "failed"
)

// JobStore keeps jobs.
type JobStore interface {
	// AddJob records j and sets its ID; dup is set, and nothing saved,
	// when its event was recorded before.
	AddJob(ctx context.Context, j *Job) (dup bool, err error)
	// PendingJobs returns the jobs not yet done, oldest first.
	PendingJobs(ctx context.Context) ([]*Job, error)
	// UpdateJob records a job's progress replies and counts an attempt.
	UpdateJob(ctx context.Context, j *Job) error
	// FinishJob sets a job's final state.
	FinishJob(ctx context.Context, id int64, state string) error
	// ClaimJob gives a pending job's lease to owner until until, and
	// reports whether it did: it does when the job has no lease, when
	// owner holds it (a renewal), or when the lease has run out (its
	// holder died).
	ClaimJob(ctx context.Context, id int64, owner string, until time.Time) (bool, error)
	// ReleaseJob gives up owner's lease on a job, for another replica (or
	// the next start) to resume at once.
	ReleaseJob(ctx context.Context, id int64, owner string) error
	// SeenEnvelope records an envelope (a slash command's, an
	// interaction's) by its id, and reports whether it was seen before:
	// a redelivery, to this replica or another.
	SeenEnvelope(ctx context.Context, id string) (dup bool, err error)
}

// LocationEntry is one line of a channel's location map: a name found in
// exports means a location. User set it, at At.
type LocationEntry struct {
	Name, Location string
	User           string
	At             time.Time
}

// LocationStore keeps each channel's location map.
type LocationStore interface {
	SetLocation(ctx context.Context, channel string, e LocationEntry) error
	RemoveLocation(ctx context.Context, channel, name string) (ok bool, err error)
	Locations(ctx context.Context, channel string) ([]LocationEntry, error)
}
