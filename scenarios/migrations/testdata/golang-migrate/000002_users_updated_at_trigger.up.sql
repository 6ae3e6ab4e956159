/* Keep users.updated_at current. The function body has semicolons of its
   own; golang-migrate sends the whole file as one query. */
CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
    NEW.updated_at := now();  -- a comment; with a semicolon
    RETURN NEW;
END;
$body$;

CREATE TRIGGER users_touch_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
