CREATE TABLE orders (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint         NOT NULL REFERENCES users (id),
    total      numeric(10, 2) NOT NULL,
    created_at timestamptz    NOT NULL DEFAULT now()
);

CREATE INDEX orders_user_id_idx ON orders (user_id);
