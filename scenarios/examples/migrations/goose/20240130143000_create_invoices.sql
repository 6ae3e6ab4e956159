-- +goose Up
CREATE TABLE invoices (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint         NOT NULL REFERENCES accounts (id),
    amount     numeric(12, 2) NOT NULL,
    status     invoice_status NOT NULL DEFAULT 'draft',
    issued_at  timestamptz    NOT NULL DEFAULT now(),
    updated_at timestamptz    NOT NULL DEFAULT now()
);
CREATE INDEX invoices_account_id_idx ON invoices (account_id);

-- +goose StatementBegin
CREATE FUNCTION invoices_touch() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER invoices_touch BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_touch();

-- +goose Down
DROP TABLE invoices;
DROP FUNCTION invoices_touch();
