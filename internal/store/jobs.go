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
	err := db.db.QueryRowContext(ctx, `INSERT INTO jobs (event_id, channel, payload, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING id`,
		j.EventID, j.Channel, j.Payload, j.Created.Unix(), now.Unix()).Scan(&j.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return false, err
}

// PendingJobs returns the jobs not yet done, oldest first.
func (db *DB) PendingJobs(ctx context.Context) ([]*service.Job, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, event_id, channel, payload, status_ts, result_ts, attempts, ended, created_at
		FROM jobs WHERE state = ? ORDER BY created_at, id`, service.JobPending)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*service.Job
	for rows.Next() {
		var j service.Job
		var at int64
		if err := rows.Scan(&j.ID, &j.EventID, &j.Channel, &j.Payload, &j.StatusTS, &j.ResultTS, &j.Attempts, &j.Ended, &at); err != nil {
			return nil, err
		}
		j.Created = time.Unix(at, 0)
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
