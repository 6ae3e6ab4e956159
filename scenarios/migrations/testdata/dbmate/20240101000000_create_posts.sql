-- migrate:up
create table posts (
  id serial primary key,
  author text not null,
  body text
);

-- migrate:down
drop table posts;
