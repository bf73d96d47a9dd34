-- Uploads: each export a user shared, with its report folded per visit key
-- (gzipped JSON), so later balances can use it without the file.
CREATE TABLE uploads (
    id           INTEGER PRIMARY KEY,
    channel      TEXT    NOT NULL,
    file_id      TEXT    NOT NULL,
    file_name    TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    message_ts   TEXT    NOT NULL,
    uploaded_at  INTEGER NOT NULL, -- unix seconds
    content_hash TEXT    NOT NULL, -- SHA-256 of the file's bytes
    kind         TEXT    NOT NULL,
    locations    TEXT    NOT NULL, -- location keys, '|'-joined and sorted
    period_from  INTEGER NOT NULL, -- days since 1970-01-01
    period_to    INTEGER NOT NULL,
    report       BLOB    NOT NULL,
    replaced_by  INTEGER REFERENCES uploads(id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX uploads_channel_hash ON uploads (channel, content_hash);
CREATE INDEX uploads_channel_period ON uploads (channel, period_to, period_from);
