CREATE UNIQUE INDEX CONCURRENTLY products_sku_key ON products (sku);
