-- The open-items ledger (docs/workflow.md): one row per item, its state and
-- dates in columns for lists and purges, the whole item (key, latest
-- mismatch, assignee, note, audit trail) as JSON in body. Items hold
-- patient data until purged: closed items past the retention period are
-- rewritten without it (purged = 1) and keep their audit trail.
CREATE TABLE items (
    id           BIGSERIAL PRIMARY KEY,
    channel      TEXT    NOT NULL,
    location_key TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    first_seen   BIGINT  NOT NULL,
    closed_at    BIGINT,
    purged       INTEGER NOT NULL DEFAULT 0,
    body         BYTEA   NOT NULL
);
CREATE INDEX items_channel_location ON items (channel, location_key);
CREATE INDEX items_closed ON items (purged, closed_at);
