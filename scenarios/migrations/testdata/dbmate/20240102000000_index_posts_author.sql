-- migrate:up transaction:false
create index concurrently posts_author_idx on posts (author);

-- migrate:down
drop index posts_author_idx;
