package store

import (
	"context"
	"time"

	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

var _ service.LocationStore = (*DB)(nil)

// SetLocation records that name, in channel's exports, means location,
// replacing what the map said of name before.
func (db *DB) SetLocation(ctx context.Context, channel string, e service.LocationEntry) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO location_map (channel, name_key, name, location, set_by, set_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel, name_key) DO UPDATE SET name = excluded.name, location = excluded.location,
			set_by = excluded.set_by, set_at = excluded.set_at`,
		channel, rules.LocationKey(e.Name), e.Name, e.Location, e.User, e.At.Unix())
	return err
}

// RemoveLocation takes name out of channel's map; ok is false when the map
// did not have it.
func (db *DB) RemoveLocation(ctx context.Context, channel, name string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM location_map WHERE channel = ? AND name_key = ?`, channel, rules.LocationKey(name))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Locations lists channel's map, by name.
func (db *DB) Locations(ctx context.Context, channel string) ([]service.LocationEntry, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT name, location, set_by, set_at FROM location_map
		WHERE channel = ? ORDER BY name_key`, channel)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []service.LocationEntry
	for rows.Next() {
		var e service.LocationEntry
		var at int64
		if err := rows.Scan(&e.Name, &e.Location, &e.User, &at); err != nil {
			return nil, err
		}
		e.At = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}
