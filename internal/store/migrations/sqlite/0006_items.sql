-- The open-items ledger (docs/workflow.md): one row per item, its state and
-- dates in columns for lists and purges, the whole item (key, latest
-- mismatch, assignee, note, audit trail) as JSON in body. Items hold
-- patient data until purged: closed items past the retention period are
-- rewritten without it (purged = 1) and keep their audit trail.
CREATE TABLE items (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel      TEXT    NOT NULL,
    location_key TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    first_seen   INTEGER NOT NULL,
    closed_at    INTEGER,
    purged       INTEGER NOT NULL DEFAULT 0,
    body         BLOB    NOT NULL
);
CREATE INDEX items_channel_location ON items (channel, location_key);
CREATE INDEX items_closed ON items (purged, closed_at);
