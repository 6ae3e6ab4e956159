-- Every user gets an API token. gen_random_uuid() is volatile: PostgreSQL
-- rewrites the whole table under an ACCESS EXCLUSIVE lock to fill it in.
ALTER TABLE users ADD COLUMN api_token uuid NOT NULL DEFAULT gen_random_uuid();
