-- Alone in its file: golang-migrate sends it as a single statement, which
-- PostgreSQL runs outside a transaction, as CONCURRENTLY requires.
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
