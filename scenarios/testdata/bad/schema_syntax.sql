CREATE TABLE users (
    id bigserial PRIMARY KEY
);

CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL,,
    total numeric
);
