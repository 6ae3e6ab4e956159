-- Baseline schema for the rename example.
CREATE TABLE public.users (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    email      varchar(255),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    total   numeric(10,2) NOT NULL,
    status  text NOT NULL DEFAULT 'new'
);

CREATE INDEX orders_user_id ON orders (user_id);

CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_at := now();  -- a semicolon inside dollar quotes
    RETURN NEW;
END
$$;
