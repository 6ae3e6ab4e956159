ALTER TABLE products ADD COLUMN sku text;
