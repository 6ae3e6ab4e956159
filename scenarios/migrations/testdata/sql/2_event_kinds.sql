-- Comments; with semicolons; are fine.
CREATE FUNCTION event_kind_ok(k text) RETURNS boolean
IMMUTABLE LANGUAGE sql AS $$ SELECT k IN ('click', 'view'); $$;
