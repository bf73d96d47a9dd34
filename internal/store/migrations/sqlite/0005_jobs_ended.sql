-- How many of a job's attempts ended (in success or in an error the bot
-- handled): attempts that started but never ended took the process down,
-- and a job that does so again and again is set aside.
ALTER TABLE jobs ADD COLUMN ended INTEGER NOT NULL DEFAULT 0;
