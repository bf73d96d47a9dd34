-- Balances posted (counts and location names only, no patients), for
-- /balance status and the reminders' "last week" line.
CREATE TABLE results (
    id           INTEGER PRIMARY KEY,
    channel      TEXT    NOT NULL,
    ts           TEXT    NOT NULL,
    link         TEXT    NOT NULL,
    period_from  INTEGER NOT NULL,
    period_to    INTEGER NOT NULL,
    balanced     INTEGER NOT NULL,
    locations    TEXT    NOT NULL, -- names, '|'-joined
    needs_action INTEGER NOT NULL,
    posted_at    INTEGER NOT NULL
);
CREATE INDEX results_channel_period ON results (channel, period_to, period_from);

-- When each reminder last went to each channel: the scheduled slot, so a
-- restart neither repeats a reminder nor loses one.
CREATE TABLE reminders (
    name    TEXT    NOT NULL,
    channel TEXT    NOT NULL,
    slot    INTEGER NOT NULL, -- unix seconds
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (name, channel)
);

-- Uploads are purged by age.
CREATE INDEX uploads_uploaded_at ON uploads (uploaded_at);
