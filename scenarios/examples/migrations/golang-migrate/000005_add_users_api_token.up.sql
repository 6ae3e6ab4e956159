-- Every user gets an API token. Unsafe: gen_random_uuid() is volatile, so
-- PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock to fill
-- in a value per row, and every query on users waits for the rewrite.
ALTER TABLE users ADD COLUMN api_token uuid NOT NULL DEFAULT gen_random_uuid();
