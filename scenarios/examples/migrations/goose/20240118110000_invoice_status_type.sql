-- +goose Up
-- Idempotent, for databases restored from a dump that already has the type.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'invoice_status') THEN
        CREATE TYPE invoice_status AS ENUM ('draft', 'open', 'paid', 'void');
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TYPE invoice_status;
