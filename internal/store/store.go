// Package store is the store: uploads, balances posted, jobs, open items,
// location maps and reminder state. It runs on one SQLite file under the
// data directory (the pure-Go modernc.org/sqlite driver, so the binary
// builds with CGO_ENABLED=0), or on PostgreSQL (pgx), which several
// replicas share. The queries and the migration rules are the same for
// both; dialect.go holds what differs.
package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/balancebot/balancebot/internal/engine"
	"github.com/balancebot/balancebot/internal/rules"
	"github.com/balancebot/balancebot/internal/service"
)

//go:embed migrations/*/*.sql
var migrationFiles embed.FS

// DB is the store.
type DB struct {
	db      sqlDB
	dialect dialect
	// path is the SQLite file; "" on PostgreSQL.
	path string
	// Now is the clock; tests replace it.
	Now func() time.Time
}

var _ service.UploadStore = (*DB)(nil)

// Open opens the store at path, creating the file (mode 0600, its folder
// 0700) and applying migrations in order. A path that cannot be written
// fails with a message that names it.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, "")
}

// open opens the store with the migrations up to last applied ("" for
// all): tests use it to build a store of an earlier version.
func open(ctx context.Context, path, last string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the data directory %s: %w", filepath.Dir(path), err)
	}
	// Create the file ourselves so it is private from the start; SQLite
	// gives its -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the store %s for writing: %w", path, err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("cannot make the store %s private: %w", path, err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot open the store %s: %w", path, err)
	}
	// One writer at a time; SQLite serialises writes anyway and this keeps
	// "database is locked" out of the picture.
	sdb.SetMaxOpenConns(1)
	db := &DB{db: sqlDB{sdb, sqliteDialect}, dialect: sqliteDialect, path: path, Now: time.Now}
	if err := db.migrate(ctx, last); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("cannot prepare the store %s: %w", path, err)
	}
	return db, nil
}

// OpenPostgres opens the store on the PostgreSQL database at url
// (postgres://user:password@host:port/database?sslmode=…), applying the
// migrations not yet applied; replicas starting together apply each once.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	return openPostgres(ctx, url, "")
}

func openPostgres(ctx context.Context, url, last string) (*DB, error) {
	sdb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("cannot open the PostgreSQL store: %w (check BALANCEBOT_DATABASE_URL)", err)
	}
	// A channel being balanced holds a connection for its lock
	// (LockChannel): room for many channels at once and their queries.
	sdb.SetMaxOpenConns(50)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{db: sqlDB{sdb, postgresDialect}, dialect: postgresDialect, Now: time.Now}
	if err := db.Ping(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("cannot reach the PostgreSQL store: %w (check BALANCEBOT_DATABASE_URL and that the server is up)", err)
	}
	if err := db.migrate(ctx, last); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("cannot prepare the PostgreSQL store: %w", err)
	}
	return db, nil
}

// LockChannel holds channel's lock across the replicas sharing the store,
// until unlock is called or the process dies: on PostgreSQL an advisory
// lock on a connection of its own. On SQLite, which one process uses,
// there is nothing to lock.
func (db *DB) LockChannel(ctx context.Context, channel string) (unlock func(), err error) {
	if db.dialect != postgresDialect {
		return func() {}, nil
	}
	conn, err := db.db.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	key := "balancebot channel " + channel
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext($1))`, key); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, key)
		conn.Close()
	}, nil
}

// Engine names the engine the store runs on: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.dialect.name }

// Close closes the store.
func (db *DB) Close() error { return db.db.Close() }

// Ping checks the store answers, for readiness.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }

// migrate applies the embedded migrations not yet applied, in name order,
// each in its own transaction, up to last ("" for all).
func (db *DB) migrate(ctx context.Context, last string) error {
	tx, err := db.migrationTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	names, err := fs.Glob(migrationFiles, "migrations/"+db.dialect.name+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if last != "" && filepath.Base(name) > last {
			break
		}
		if err := db.migrateOne(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", filepath.Base(name), err)
		}
	}
	return nil
}

func (db *DB) migrateOne(ctx context.Context, name string) error {
	tx, err := db.migrationTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, filepath.Base(name)).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	stmts, err := migrationFiles.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(stmts)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, filepath.Base(name), db.Now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// migrationTx begins a transaction of the migrations. Replicas that start
// together apply each migration once, one after the other: on PostgreSQL
// the transaction holds a lock until it ends; SQLite's file has one
// writer at a time already.
func (db *DB) migrationTx(ctx context.Context) (*sqlTx, error) {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil || db.dialect != postgresDialect {
		return tx, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7314159265)`); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// Migrations lists the migrations applied, in order.
func (db *DB) Migrations(ctx context.Context) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// locationSet is how an upload's locations are stored and compared: the
// sorted location keys, '|'-joined.
func locationSet(r *engine.Report) string {
	var keys []string
	for _, l := range r.Locations() {
		keys = append(keys, rules.LocationKey(l))
	}
	sort.Strings(keys)
	return strings.Join(keys, "|")
}

// SaveUpload keeps u. The same content in the same channel is kept once.
func (db *DB) SaveUpload(ctx context.Context, u *service.Upload) (*service.Upload, bool, error) {
	blob, err := encodeReport(u.Report)
	if err != nil {
		return nil, false, err
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	var earlierID int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM uploads WHERE channel = ? AND content_hash = ?`, u.Channel, u.Hash).Scan(&earlierID)
	switch {
	case err == nil:
		tx.Rollback()
		earlier, err := db.upload(ctx, earlierID)
		return earlier, true, err
	case !errors.Is(err, sql.ErrNoRows):
		return nil, false, err
	}
	if u.At.IsZero() {
		u.At = db.Now()
	}
	p := u.Period()
	locs := locationSet(u.Report)
	// Another replica may keep the same content at the same moment: the
	// unique index decides, and the loser returns the winner's.
	err = tx.QueryRowContext(ctx, `INSERT INTO uploads
		(channel, file_id, file_name, user_id, message_ts, uploaded_at, content_hash, kind, locations, period_from, period_to, report)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, content_hash) DO NOTHING RETURNING id`,
		u.Channel, u.FileID, u.FileName, u.User, u.MessageTS, u.At.Unix(), u.Hash, string(u.Report.Kind), locs, int64(p.From), int64(p.To), blob).Scan(&u.ID)
	if errors.Is(err, sql.ErrNoRows) {
		tx.Rollback()
		var id int64
		if err := db.db.QueryRowContext(ctx, `SELECT id FROM uploads WHERE channel = ? AND content_hash = ?`, u.Channel, u.Hash).Scan(&id); err != nil {
			return nil, false, err
		}
		earlier, err := db.upload(ctx, id)
		return earlier, true, err
	}
	if err != nil {
		return nil, false, err
	}
	return nil, false, tx.Commit()
}

const uploadColumns = `id, channel, file_id, file_name, user_id, message_ts, uploaded_at, content_hash, report`

func scanUpload(scan func(...any) error) (*service.Upload, error) { return scanKnown(scan, nil) }

// scanKnown scans an upload whose report, when its id is in known, was
// left unread (NULL) and is taken from known.
func scanKnown(scan func(...any) error, known map[int64]*engine.Report) (*service.Upload, error) {
	var u service.Upload
	var at int64
	var blob []byte
	if err := scan(&u.ID, &u.Channel, &u.FileID, &u.FileName, &u.User, &u.MessageTS, &at, &u.Hash, &blob); err != nil {
		return nil, err
	}
	u.At = time.Unix(at, 0)
	if r, ok := known[u.ID]; ok && blob == nil {
		u.Report = r
		return &u, nil
	}
	r, err := decodeReport(blob)
	if err != nil {
		return nil, fmt.Errorf("upload %d: %w", u.ID, err)
	}
	u.Report = r
	return &u, nil
}

func (db *DB) upload(ctx context.Context, id int64) (*service.Upload, error) {
	row := db.db.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE id = ?`, id)
	return scanUpload(row.Scan)
}

// Uploads returns the channel's uploads overlapping p, oldest first. An
// older export that a newer one replaces is returned too: which dates the
// newer one replaces is the rules' to say (rules.Latest), per kind,
// location and day. (The replaced_by column, which the store once set for
// an export of exactly the same kind, locations and period, is no longer
// read or written.) The reports of known uploads are not read back:
// for a large group's month, reading and decoding them again took as long
// as the balance itself.
func (db *DB) Uploads(ctx context.Context, channel string, p rules.Period, known ...*service.Upload) ([]*service.Upload, error) {
	cols := uploadColumns
	args := []any{channel, int64(p.From), int64(p.To)}
	have := map[int64]*engine.Report{}
	for _, u := range known {
		if u != nil && u.ID != 0 && u.Report != nil {
			have[u.ID] = u.Report
		}
	}
	if len(have) > 0 {
		ids := make([]string, 0, len(have))
		var idArgs []any
		for id := range have {
			ids = append(ids, "?")
			idArgs = append(idArgs, id)
		}
		cols = strings.TrimSuffix(cols, "report") + `CASE WHEN id IN (` + strings.Join(ids, ", ") + `) THEN NULL ELSE report END`
		args = append(idArgs, args...)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+cols+` FROM uploads
		WHERE channel = ? AND period_to >= ? AND period_from <= ?
		ORDER BY uploaded_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*service.Upload
	for rows.Next() {
		u, err := scanKnown(rows.Scan, have)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// encodeReport writes a report in balance's binary layout: a month of a
// large group's visits takes tens of milliseconds each way, where gzipped
// JSON (the first layout, still read) took seconds.
func encodeReport(r *engine.Report) ([]byte, error) { return r.MarshalBinary() }

func decodeReport(blob []byte) (*engine.Report, error) {
	var r engine.Report
	if engine.IsBinaryReport(blob) {
		return &r, r.UnmarshalBinary(blob)
	}
	// Uploads stored before the binary layout: gzipped JSON.
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return nil, err
	}
	if err := json.NewDecoder(zr).Decode(&r); err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, zr)
	return &r, err
}

// Backup writes a consistent copy of the store to dest (which must not
// exist), safe while the bot runs.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if db.dialect != sqliteDialect {
		return errors.New("the store is on PostgreSQL: back it up with pg_dump (see the README)")
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("%s already exists: choose a new file name for the backup", dest)
	}
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("backing up to %s: %w", dest, err)
	}
	return os.Chmod(dest, 0o600)
}
