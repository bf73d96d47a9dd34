-- One summary per channel and period, kept current (issue 14): a balance
-- posted again soon after updates its summary in place (revision counts
-- the updates), its thread gets only what changed (thread holds, per
-- location key, a digest of what the thread shows: JSON), and a later
-- balance that replaces it marks it superseded (the later one's id).
ALTER TABLE results ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE results ADD COLUMN thread TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN superseded_by BIGINT NOT NULL DEFAULT 0;
CREATE INDEX results_current ON results (channel, superseded_by, posted_at);
