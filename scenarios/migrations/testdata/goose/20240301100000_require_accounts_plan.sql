-- +goose Up
-- Every account gets a plan. SET NOT NULL scans the whole table under an
-- ACCESS EXCLUSIVE lock, after an UPDATE of every row in the same transaction.
ALTER TABLE accounts ADD COLUMN plan text;
UPDATE accounts SET plan = 'free' WHERE plan IS NULL;
ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;

-- +goose Down
ALTER TABLE accounts DROP COLUMN plan;
