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

var _ service.ItemStore = (*DB)(nil)

// Items returns the channel's items at locations (all when none), oldest
// first.
func (db *DB) Items(ctx context.Context, channel string, locations ...string) ([]*rules.Item, error) {
	q := `SELECT id, body FROM items WHERE channel = ?`
	args := []any{channel}
	if len(locations) > 0 {
		q += ` AND location_key IN (?` + strings.Repeat(", ?", len(locations)-1) + `)`
		for _, l := range locations {
			args = append(args, rules.LocationKey(l))
		}
	}
	rows, err := db.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*rules.Item
	for rows.Next() {
		var id int64
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		it, err := decodeItem(id, body)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rules.SortOldest(out)
	return out, nil
}

// SaveItems writes items in one transaction, giving new ones their IDs.
func (db *DB) SaveItems(ctx context.Context, channel string, items []*rules.Item) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := prepareItems(ctx, tx)
	if err != nil {
		return err
	}
	defer st.close()
	ids := make([]int64, len(items))
	for i, it := range items {
		if ids[i], err = st.save(ctx, channel, it); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// IDs are set once the transaction holds, so a failed save leaves
	// new items new.
	for i, it := range items {
		it.ID = ids[i]
	}
	return nil
}

// itemStmts are the statements that write items, prepared once for a
// transaction: a balance may write thousands.
type itemStmts struct{ insert, update *sql.Stmt }

func prepareItems(ctx context.Context, tx *sqlTx) (*itemStmts, error) {
	ins, err := tx.PrepareContext(ctx, `INSERT INTO items (channel, location_key, state, first_seen, closed_at, body)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return nil, err
	}
	upd, err := tx.PrepareContext(ctx, `UPDATE items SET location_key = ?, state = ?, first_seen = ?, closed_at = ?, body = ?
		WHERE id = ? AND channel = ?`)
	if err != nil {
		ins.Close()
		return nil, err
	}
	return &itemStmts{ins, upd}, nil
}

func (st *itemStmts) close() { st.insert.Close(); st.update.Close() }

// save writes one item and returns its id. The id is the row's, not the
// body's: reading an item sets it from the row.
func (st *itemStmts) save(ctx context.Context, channel string, it *rules.Item) (int64, error) {
	body, err := json.Marshal(it)
	if err != nil {
		return 0, err
	}
	var closed any
	if !it.Closed.IsZero() {
		closed = it.Closed.Unix()
	}
	if it.ID == 0 {
		var id int64
		err := st.insert.QueryRowContext(ctx, channel, it.Key.Location, string(it.State), int64(it.FirstSeen), closed, body).Scan(&id)
		return id, err
	}
	res, err := st.update.ExecContext(ctx, it.Key.Location, string(it.State), int64(it.FirstSeen), closed, body, it.ID, channel)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return 0, cmpErr(err, fmt.Errorf("item %d is not in this channel's ledger", it.ID))
	}
	return it.ID, nil
}

// saveItem writes one item in tx.
func saveItem(ctx context.Context, tx *sqlTx, channel string, it *rules.Item) (int64, error) {
	st, err := prepareItems(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer st.close()
	return st.save(ctx, channel, it)
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// UpdateItem reads item id, lets change change it and writes it back, in
// one transaction.
func (db *DB) UpdateItem(ctx context.Context, channel string, id int64, change func(*rules.Item) error) (*rules.Item, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// On PostgreSQL two replicas' clicks are serialised by a row lock;
	// SQLite has one writer at a time already.
	lock := ""
	if db.dialect == postgresDialect {
		lock = " FOR UPDATE"
	}
	it, err := readItem(ctx, tx, channel, id, lock)
	if err != nil {
		return nil, err
	}
	if err := change(it); err != nil {
		return nil, err
	}
	if _, err := saveItem(ctx, tx, channel, it); err != nil {
		return nil, err
	}
	return it, tx.Commit()
}

// Item returns the channel's item id.
func (db *DB) Item(ctx context.Context, channel string, id int64) (*rules.Item, error) {
	return readItem(ctx, db.db, channel, id, "")
}

// readItem reads one item, in a transaction or not.
func readItem(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, channel string, id int64, lock string) (*rules.Item, error) {
	var body []byte
	err := q.QueryRowContext(ctx, `SELECT body FROM items WHERE id = ? AND channel = ?`+lock, id, channel).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &rules.Error{Code: rules.ENotFound, Message: "that item is no longer in the ledger: it may have been purged after the retention period"}
	}
	if err != nil {
		return nil, err
	}
	return decodeItem(id, body)
}

func decodeItem(id int64, body []byte) (*rules.Item, error) {
	var it rules.Item
	if err := json.Unmarshal(body, &it); err != nil {
		return nil, fmt.Errorf("item %d in the store cannot be read: %w", id, err)
	}
	it.ID = id
	return &it, nil
}

// purgeItems rewrites, without patient data, the items closed before
// cutoff (rules.Item.Purge), and returns how many it rewrote.
func purgeItems(ctx context.Context, tx *sqlTx, cutoff, now time.Time) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, channel, body FROM items WHERE purged = 0 AND closed_at < ?`, cutoff.Unix())
	if err != nil {
		return 0, err
	}
	type row struct {
		channel string
		it      *rules.Item
	}
	var due []row
	for rows.Next() {
		var r row
		var id int64
		var body []byte
		if err := rows.Scan(&id, &r.channel, &body); err != nil {
			rows.Close()
			return 0, err
		}
		if r.it, err = decodeItem(id, body); err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(due) == 0 {
		return 0, nil
	}
	st, err := prepareItems(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer st.close()
	for _, r := range due {
		if !r.it.Purgeable(cutoff) {
			continue
		}
		r.it.Purge(now)
		if _, err := st.save(ctx, r.channel, r.it); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE items SET purged = 1 WHERE id = ?`, r.it.ID); err != nil {
			return 0, err
		}
	}
	return int64(len(due)), nil
}

// OpenItemAges returns the age, in days on today, of every open item in
// every channel (fixed and unconfirmed included), for the metrics.
func (db *DB) OpenItemAges(ctx context.Context, today rules.Date) ([]int, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT first_seen FROM items WHERE state IN (?, ?)`, string(rules.ItemOpen), string(rules.ItemFixed))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ages []int
	for rows.Next() {
		var first int64
		if err := rows.Scan(&first); err != nil {
			return nil, err
		}
		ages = append(ages, int(today-rules.Date(first)))
	}
	return ages, rows.Err()
}
