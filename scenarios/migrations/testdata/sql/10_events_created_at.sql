BEGIN;
ALTER TABLE events ADD COLUMN created_at timestamptz;
COMMIT;
