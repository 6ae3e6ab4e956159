CREATE OR REPLACE VIEW cheap_products AS
    SELECT id, name, price FROM products WHERE price < 10;
