-- Envelopes of slash commands and interactions seen, by envelope id, so
-- a redelivery to another replica is recognised (issue 15); kept a day.
CREATE TABLE envelopes (
    id      TEXT    PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
CREATE INDEX envelopes_seen ON envelopes (seen_at);
