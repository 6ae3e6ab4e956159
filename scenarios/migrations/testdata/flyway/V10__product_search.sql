-- Version 10 comes after version 2 (numeric order, not text order).
CREATE FUNCTION product_search(q text) RETURNS SETOF products
LANGUAGE sql STABLE AS $fn$
    SELECT * FROM products WHERE name ILIKE '%' || q || '%';
$fn$;
