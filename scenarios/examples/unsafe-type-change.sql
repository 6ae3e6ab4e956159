-- Baseline schema of the unsafe example: balance is an integer that is about
-- to overflow, so someone widens it with ALTER COLUMN ... TYPE bigint.
CREATE TABLE users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    email      text,
    balance    integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
