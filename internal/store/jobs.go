package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/balancebot/balancebot/internal/service"
)

var _ service.JobStore = (*DB)(nil)

// AddJob records a job unless its event was recorded before.
func (db *DB) AddJob(ctx context.Context, j *service.Job) (bool, error) {
	now := db.Now()
	if j.Created.IsZero() {
		j.Created = now
	}
	// A redelivery to another replica is a duplicate here too.
	err := db.db.QueryRowContext(ctx, `INSERT INTO jobs (event_id, channel, payload, created_at, updated_at, lease_owner, lease_until)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
		j.EventID, j.Channel, j.Payload, j.Created.Unix(), now.Unix(), j.Owner, unixOrZero(j.LeaseUntil)).Scan(&j.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return false, err
}

// PendingJobs returns the jobs not yet done, oldest first.
func (db *DB) PendingJobs(ctx context.Context) ([]*service.Job, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, event_id, channel, payload, status_ts, result_ts, attempts, ended, created_at, lease_owner, lease_until
		FROM jobs WHERE state = ? ORDER BY created_at, id`, service.JobPending)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*service.Job
	for rows.Next() {
		var j service.Job
		var at, until int64
		if err := rows.Scan(&j.ID, &j.EventID, &j.Channel, &j.Payload, &j.StatusTS, &j.ResultTS, &j.Attempts, &j.Ended, &at, &j.Owner, &until); err != nil {
			return nil, err
		}
		j.Created = time.Unix(at, 0)
		if until > 0 {
			j.LeaseUntil = time.Unix(until, 0)
		}
		out = append(out, &j)
	}
	return out, rows.Err()
}

// UpdateJob records a job's replies and attempts.
func (db *DB) UpdateJob(ctx context.Context, j *service.Job) error {
	_, err := db.db.ExecContext(ctx, `UPDATE jobs SET status_ts = ?, result_ts = ?, attempts = ?, ended = ?, updated_at = ? WHERE id = ?`,
		j.StatusTS, j.ResultTS, j.Attempts, j.Ended, db.Now().Unix(), j.ID)
	return err
}

// FinishJob sets a job's final state.
func (db *DB) FinishJob(ctx context.Context, id int64, state string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?`, state, db.Now().Unix(), id)
	return err
}

// ClaimJob gives a pending job's lease to owner until until, if it is
// free, owner's already, or run out.
func (db *DB) ClaimJob(ctx context.Context, id int64, owner string, until time.Time) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE jobs SET lease_owner = ?, lease_until = ?
		WHERE id = ? AND state = ? AND (lease_owner = '' OR lease_owner = ? OR lease_until < ?)`,
		owner, until.Unix(), id, service.JobPending, owner, db.Now().Unix())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseJob gives up owner's lease on a job.
func (db *DB) ReleaseJob(ctx context.Context, id int64, owner string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE jobs SET lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ?`, id, owner)
	return err
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// SeenEnvelope records an envelope id, reporting whether it was recorded
// before.
func (db *DB) SeenEnvelope(ctx context.Context, id string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `INSERT INTO envelopes (id, seen_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, db.Now().Unix())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 0, err
}
