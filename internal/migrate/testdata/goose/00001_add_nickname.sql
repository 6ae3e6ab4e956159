-- +goose Up
ALTER TABLE users ADD COLUMN nickname text;
SELECT pg_sleep(0.5); -- long enough for the lock monitor to see the tool's lock

-- +goose Down
ALTER TABLE users DROP COLUMN nickname;
