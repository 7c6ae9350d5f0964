-- Watches whose eBay searches are the same share one search: the same marketplace, query
-- (case and spacing aside, as eBay reads keywords), categories, price bounds, conditions
-- and buying options (none named means fixed price and auctions). The key is generated,
-- so every writer keeps it right and existing watches get theirs now.
CREATE FUNCTION spt_search_key(
    marketplace text, query text, category_ids text[], min_price numeric,
    max_price numeric, conditions text[], buying_options text[]
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT md5(concat_ws(E'\x1f',
        marketplace,
        lower(regexp_replace(btrim(query), '\s+', ' ', 'g')),
        (SELECT string_agg(c, ',' ORDER BY c) FROM unnest(category_ids) c),
        min_price::text,
        max_price::text,
        (SELECT string_agg(c, ',' ORDER BY c) FROM unnest(conditions) c),
        COALESCE((SELECT string_agg(b, ',' ORDER BY b) FROM unnest(buying_options) b),
                 'AUCTION,FIXED_PRICE')))
$$;

ALTER TABLE watches ADD COLUMN search_key text GENERATED ALWAYS AS (
    spt_search_key(marketplace, query, category_ids, min_price, max_price, conditions,
                   buying_options)
) STORED;
CREATE INDEX watches_search_key ON watches (search_key) WHERE enabled;
