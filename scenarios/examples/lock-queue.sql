-- Baseline schema of the lock-queue example.
CREATE TABLE users (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name      text NOT NULL,
    email     text,
    last_seen timestamptz
);
