-- Seed the admin account unless it exists; a DO block, kept whole by
-- StatementBegin/StatementEnd.
-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM accounts WHERE email = 'admin@example.com') THEN
        INSERT INTO accounts (email) VALUES ('admin@example.com');
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DELETE FROM accounts WHERE email = 'admin@example.com';
