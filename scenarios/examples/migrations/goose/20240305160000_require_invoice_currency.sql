-- +goose Up
-- Every invoice gets a currency. Unsafe: the ADD COLUMN takes an ACCESS
-- EXCLUSIVE lock on invoices that goose's transaction holds while the UPDATE
-- rewrites every row and SET NOT NULL scans them all again.
ALTER TABLE invoices ADD COLUMN currency char(3);
UPDATE invoices SET currency = 'EUR';
ALTER TABLE invoices ALTER COLUMN currency SET DEFAULT 'EUR';
ALTER TABLE invoices ALTER COLUMN currency SET NOT NULL;

-- +goose Down
ALTER TABLE invoices DROP COLUMN currency;
