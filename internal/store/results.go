package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

var (
	_ service.ResultStore   = (*DB)(nil)
	_ service.ReminderStore = (*DB)(nil)
)

// SaveResult records a balance posted.
func (db *DB) SaveResult(ctx context.Context, p *service.Posted) error {
	if p.At.IsZero() {
		p.At = db.Now()
	}
	thread, err := threadJSON(p.Thread)
	if err != nil {
		return err
	}
	return db.db.QueryRowContext(ctx, `INSERT INTO results
		(channel, ts, link, period_from, period_to, balanced, locations, needs_action, posted_at, revision, thread, superseded_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.Channel, p.TS, p.Link, int64(p.Period.From), int64(p.Period.To), p.Balanced,
		strings.Join(p.Locations, "|"), p.NeedsAction, p.At.Unix(), p.Revision, thread, p.SupersededBy).Scan(&p.ID)
}

// UpdateResult rewrites a balance posted, by its ID, all but its thread
// record (SaveThread), which the thread's writer keeps on its own.
func (db *DB) UpdateResult(ctx context.Context, p *service.Posted) error {
	res, err := db.db.ExecContext(ctx, `UPDATE results SET ts = ?, link = ?, period_from = ?, period_to = ?, balanced = ?,
		locations = ?, needs_action = ?, posted_at = ?, revision = ?, superseded_by = ? WHERE id = ? AND channel = ?`,
		p.TS, p.Link, int64(p.Period.From), int64(p.Period.To), p.Balanced, strings.Join(p.Locations, "|"),
		p.NeedsAction, p.At.Unix(), p.Revision, p.SupersededBy, p.ID, p.Channel)
	if err != nil {
		return err
	}
	return oneRow(res, p.Channel, p.ID)
}

// SaveThread records what a balance's thread shows.
func (db *DB) SaveThread(ctx context.Context, channel string, id int64, thread map[string]string) error {
	js, err := threadJSON(thread)
	if err != nil {
		return err
	}
	res, err := db.db.ExecContext(ctx, `UPDATE results SET thread = ? WHERE id = ? AND channel = ?`, js, id, channel)
	if err != nil {
		return err
	}
	return oneRow(res, channel, id)
}

func oneRow(res sql.Result, channel string, id int64) error {
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("no balance %d posted in %s", id, channel)
	}
	return nil
}

// Result returns the channel's balance posted with id, or nil.
func (db *DB) Result(ctx context.Context, channel string, id int64) (*service.Posted, error) {
	r, err := scanResult(db.db.QueryRowContext(ctx, `SELECT `+resultColumns+` FROM results WHERE id = ? AND channel = ?`, id, channel))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

func threadJSON(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	out, err := json.Marshal(m)
	return string(out), err
}

const resultColumns = `id, channel, ts, link, period_from, period_to, balanced, locations, needs_action, posted_at, revision, thread, superseded_by`

func scanResult(row interface{ Scan(...any) error }) (*service.Posted, error) {
	var r service.Posted
	var from, to, at int64
	var locs, thread string
	if err := row.Scan(&r.ID, &r.Channel, &r.TS, &r.Link, &from, &to, &r.Balanced, &locs, &r.NeedsAction, &at,
		&r.Revision, &thread, &r.SupersededBy); err != nil {
		return nil, err
	}
	r.Period = rules.Period{From: rules.Date(from), To: rules.Date(to)}
	if locs != "" {
		r.Locations = strings.Split(locs, "|")
	}
	r.At = time.Unix(at, 0)
	if thread != "" {
		if err := json.Unmarshal([]byte(thread), &r.Thread); err != nil {
			return nil, fmt.Errorf("balance %d: its thread record: %w", r.ID, err)
		}
	}
	return &r, nil
}

// LatestResult returns the balance posted in channel that covers the most
// of p, the latest of those: a balance of one day does not stand for the
// week.
func (db *DB) LatestResult(ctx context.Context, channel string, p rules.Period) (*service.Posted, error) {
	r, err := scanResult(db.db.QueryRowContext(ctx, `SELECT `+resultColumns+`
		FROM results WHERE channel = ? AND period_to >= ? AND period_from <= ?
		ORDER BY (CASE WHEN period_to < ? THEN period_to ELSE ? END) - (CASE WHEN period_from > ? THEN period_from ELSE ? END) DESC,
			posted_at DESC, id DESC LIMIT 1`,
		channel, int64(p.From), int64(p.To), int64(p.To), int64(p.To), int64(p.From), int64(p.From)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// Summaries returns the balances posted in channel within p and not
// superseded, latest first, at most ten.
func (db *DB) Summaries(ctx context.Context, channel string, p rules.Period) ([]*service.Posted, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+resultColumns+`
		FROM results WHERE channel = ? AND superseded_by = 0 AND period_from >= ? AND period_to <= ?
		ORDER BY posted_at DESC, id DESC LIMIT 10`, channel, int64(p.From), int64(p.To))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*service.Posted
	for rows.Next() {
		r, err := scanResult(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastReminder returns the slot of the last reminder name sent to channel.
func (db *DB) LastReminder(ctx context.Context, name, channel string) (time.Time, bool, error) {
	var slot int64
	err := db.db.QueryRowContext(ctx, `SELECT slot FROM reminders WHERE name = ? AND channel = ?`, name, channel).Scan(&slot)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return time.Unix(slot, 0), true, nil
}

// SetReminder records that reminder name went to channel for slot.
func (db *DB) SetReminder(ctx context.Context, name, channel string, slot time.Time) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO reminders (name, channel, slot, sent_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name, channel) DO UPDATE SET slot = excluded.slot, sent_at = excluded.sent_at`,
		name, channel, slot.Unix(), db.Now().Unix())
	return err
}

// ClaimReminder moves reminder name's slot for channel forward to slot,
// and reports whether it did: false when the slot recorded is slot or
// later (another replica claimed it).
func (db *DB) ClaimReminder(ctx context.Context, name, channel string, slot time.Time) (bool, error) {
	res, err := db.db.ExecContext(ctx, `INSERT INTO reminders (name, channel, slot, sent_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name, channel) DO UPDATE SET slot = excluded.slot, sent_at = excluded.sent_at
		WHERE reminders.slot < excluded.slot`,
		name, channel, slot.Unix(), db.Now().Unix())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Purge deletes uploads (the patient data kept) and finished jobs stored
// before cutoff, rewrites without patient data the open items closed
// before it (their audit trail stays), and returns how many uploads went.
func (db *DB) Purge(ctx context.Context, cutoff time.Time) (int64, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM uploads WHERE uploaded_at < ?`, cutoff.Unix())
	if err != nil {
		return 0, err
	}
	// Finished jobs keep message text and file names: they go too.
	if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE created_at < ? AND state <> ?`, cutoff.Unix(), service.JobPending); err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	// Redeliveries come within minutes: a day of envelopes is plenty.
	if _, err := tx.ExecContext(ctx, `DELETE FROM envelopes WHERE seen_at < ?`, db.Now().Add(-24*time.Hour).Unix()); err != nil {
		return 0, err
	}
	items, err := purgeItems(ctx, tx, cutoff, db.Now())
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	// Give the space back, so deleted patient data does not linger in
	// free pages of the file.
	// VACUUM rewrites the file without the freed pages; in WAL mode the
	// rewrite lands in the WAL, so a truncating checkpoint follows.
	if (n > 0 || items > 0) && db.dialect == postgresDialect {
		// PostgreSQL reuses the space of deleted rows once vacuumed.
		if _, err := db.db.ExecContext(ctx, `VACUUM uploads, jobs, items`); err != nil {
			return n, err
		}
	}
	if (n > 0 || items > 0) && db.dialect == sqliteDialect {
		if _, err := db.db.ExecContext(ctx, `VACUUM`); err != nil {
			return n, err
		}
		if _, err := db.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Channels lists the channels that hold uploads, balances or items, in
// order.
func (db *DB) Channels(ctx context.Context) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT channel FROM uploads UNION SELECT channel FROM results
		UNION SELECT channel FROM items ORDER BY channel`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
