-- A job is handled under a lease (issue 15): the replica that holds it
-- (lease_owner) renews it while it works; a job whose lease ran out is
-- another replica's to resume.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
