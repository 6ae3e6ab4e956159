-- A file of its own: golang-migrate sends it as a single statement, which
-- PostgreSQL runs outside a transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);
