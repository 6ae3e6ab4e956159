-- migrate:up
alter table posts add column slug text;
do $do$
begin
  update posts set slug = 'post-' || id; -- fill existing rows
end
$do$;

-- migrate:down
alter table posts drop column slug;
