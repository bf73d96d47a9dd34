package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// copyTables are the store's tables in the order they are copied, with
// their columns; boolean columns are stored as integers by SQLite.
var copyTables = []struct {
	name    string
	columns []string
	bools   map[string]bool
	// serial is set for a table whose id PostgreSQL numbers.
	serial bool
}{
	{"uploads", []string{"id", "channel", "file_id", "file_name", "user_id", "message_ts", "uploaded_at", "content_hash", "kind", "locations", "period_from", "period_to", "report", "replaced_by"}, nil, true},
	{"results", []string{"id", "channel", "ts", "link", "period_from", "period_to", "balanced", "locations", "needs_action", "posted_at", "revision", "thread", "superseded_by"}, map[string]bool{"balanced": true}, true},
	{"reminders", []string{"name", "channel", "slot", "sent_at"}, nil, false},
	{"jobs", []string{"id", "event_id", "channel", "payload", "status_ts", "result_ts", "state", "attempts", "created_at", "updated_at", "ended", "lease_owner", "lease_until"}, nil, true},
	{"location_map", []string{"channel", "name_key", "name", "location", "set_by", "set_at"}, nil, false},
	{"items", []string{"id", "channel", "location_key", "state", "first_seen", "closed_at", "purged", "body"}, nil, true},
	{"envelopes", []string{"id", "seen_at"}, nil, false},
}

// Copied is how many rows of a table were copied.
type Copied struct {
	Table string
	Rows  int
}

// CopyTo copies everything the store holds into dest, which must be at
// the same migration and empty, in one transaction: a copy that fails
// leaves dest as it was. Ids are kept, so links between rows hold.
func (db *DB) CopyTo(ctx context.Context, dest *DB) ([]Copied, error) {
	have, err := db.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	want, err := dest.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	if strings.Join(have, ",") != strings.Join(want, ",") {
		return nil, fmt.Errorf("the two stores are at different versions (%d and %d migrations): run this balancebot's migrate with both opened by the same version", len(have), len(want))
	}
	tx, err := dest.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var out []Copied
	for _, t := range copyTables {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, errors.New("the destination already holds a store (its " + t.name + " table has rows): copy into an empty database")
		}
		cols := strings.Join(t.columns, ", ")
		sel := cols
		if t.name == "uploads" {
			// replaced_by is no longer read or written (see Uploads), and
			// would point forward at rows not yet copied.
			sel = strings.Replace(cols, "replaced_by", "NULL", 1)
		}
		order := ""
		if t.serial {
			order = " ORDER BY id"
		}
		rows, err := db.db.QueryContext(ctx, `SELECT `+sel+` FROM `+t.name+order)
		if err != nil {
			return nil, err
		}
		ins := `INSERT INTO ` + t.name + ` (` + cols + `) VALUES (?` + strings.Repeat(", ?", len(t.columns)-1) + `)`
		count := 0
		for rows.Next() {
			vals := make([]any, len(t.columns))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			for i, c := range t.columns {
				if n, ok := vals[i].(int64); ok && t.bools[c] {
					vals[i] = n != 0
				}
			}
			if _, err := tx.ExecContext(ctx, ins, vals...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("copying %s: %w", t.name, err)
			}
			count++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if t.serial && dest.dialect == postgresDialect {
			// New rows are numbered after the copied ones.
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', 'id'), COALESCE((SELECT MAX(id) FROM `+t.name+`), 0) + 1, false)`); err != nil {
				return nil, err
			}
		}
		out = append(out, Copied{t.name, count})
	}
	return out, tx.Commit()
}
