-- Uploads acknowledged to Slack, recorded before they are handled, so a
-- crash or restart resumes them and a redelivered event is recognised,
-- whichever replica it reaches.
CREATE TABLE jobs (
    id         BIGSERIAL PRIMARY KEY,
    event_id   TEXT    NOT NULL UNIQUE,
    channel    TEXT    NOT NULL,
    payload    BYTEA   NOT NULL,              -- the message: file ids, names, text, ts
    status_ts  TEXT    NOT NULL DEFAULT '',   -- the bot's progress reply
    result_ts  TEXT    NOT NULL DEFAULT '',   -- the balance posted for it, if any
    state      TEXT    NOT NULL DEFAULT 'pending', -- pending, done, failed
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE INDEX jobs_state ON jobs (state, created_at);
