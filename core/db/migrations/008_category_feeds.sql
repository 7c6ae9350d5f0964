-- Category feeds (ebay.category_feeds): one newest-first search per marketplace and
-- category instead of one per watch; every watch of that category is matched against the
-- listings locally, in SQL. What a watch's query means locally follows eBay's keyword
-- syntax: `a b` both words, `(a,b)` either, `-a` / `-(a,b)` neither; a word with
-- punctuation ("PC4-2666V") needs each of its alphanumeric pieces.

-- The words a title matches: each whitespace word with its edges trimmed, and its pieces.
CREATE FUNCTION spt_words(title text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT w), '{}') FROM (
        SELECT btrim(t, '.,;:!?()[]{}"''*/\|<>#+~') AS w
        FROM regexp_split_to_table(lower(title), '\s+') t
        UNION
        SELECT m[1] FROM regexp_matches(lower(title), '([[:alnum:]]+)', 'g') m
    ) words WHERE w <> ''
$$;

-- One part of a query: 'required' words, 'excluded' words, or 'groups' ("a|b": either).
CREATE FUNCTION spt_query_terms(query text, part text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    term text;
    body text;
    negative boolean;
    word text;
    pieces text[];
    found text[] := '{}';
BEGIN
    FOR term IN SELECT m[1] FROM regexp_matches(lower(query), '(-?\([^)]*\)|-?"[^"]*"|\S+)', 'g') m
    LOOP
        negative := left(term, 1) = '-' AND length(term) > 1;
        body := CASE WHEN negative THEN substr(term, 2) ELSE term END;
        IF left(body, 1) = '(' AND right(body, 1) = ')' THEN
            IF negative AND part = 'excluded' THEN
                found := found || ARRAY(
                    SELECT w FROM regexp_split_to_table(substr(body, 2, length(body) - 2), '[,\s]+') w
                    WHERE w <> '');
            ELSIF NOT negative AND part = 'groups' THEN
                found := found || array_to_string(ARRAY(
                    SELECT w FROM regexp_split_to_table(substr(body, 2, length(body) - 2), '[,\s]+') w
                    WHERE w <> ''), '|');
            END IF;
            CONTINUE;
        END IF;
        FOR word IN SELECT btrim(w, '.,;:!?()[]{}"''*/\|<>#+~')
                    FROM regexp_split_to_table(btrim(body, '"'), '\s+') w LOOP
            CONTINUE WHEN word = '';
            IF negative AND part = 'excluded' THEN
                found := found || word;
            ELSIF NOT negative AND part = 'required' THEN
                pieces := ARRAY(SELECT m[1] FROM regexp_matches(word, '([[:alnum:]]+)', 'g') m);
                IF cardinality(pieces) > 1 THEN
                    found := found || pieces;
                ELSE
                    found := found || word;
                END IF;
            END IF;
        END LOOP;
    END LOOP;
    RETURN found;
END
$$;

-- The categories a watch's feed reads: its own, or its component type's eBay category.
CREATE FUNCTION spt_feed_categories(component_type text, category_ids text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN cardinality(category_ids) > 0 THEN category_ids
        WHEN component_type = 'ram' THEN '{170083}'
        WHEN component_type = 'drive' THEN '{165}'
        WHEN component_type = 'server' THEN '{11211}'
        WHEN component_type = 'cpu' THEN '{164}'
        WHEN component_type = 'nic' THEN '{20318}'
        WHEN component_type = 'gpu' THEN '{27386}'
        WHEN component_type IN ('workstation', 'desktop') THEN '{179}'
        ELSE '{}'
    END::text[]
$$;

ALTER TABLE watches
    ADD COLUMN query_required text[] GENERATED ALWAYS AS (spt_query_terms(query, 'required')) STORED,
    ADD COLUMN query_excluded text[] GENERATED ALWAYS AS (spt_query_terms(query, 'excluded')) STORED,
    ADD COLUMN query_groups text[] GENERATED ALWAYS AS (spt_query_terms(query, 'groups')) STORED,
    ADD COLUMN feed_categories text[] GENERATED ALWAYS AS (
        spt_feed_categories(component_type, category_ids)) STORED;
CREATE INDEX watches_feed ON watches USING gin (feed_categories) WHERE enabled;

-- A feed: one marketplace and category, read newest first on its own schedule.
CREATE TABLE feeds (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    marketplace      text NOT NULL CHECK (marketplace IN ('EBAY_US', 'EBAY_GB', 'EBAY_DE', 'EBAY_AU')),
    category_id      text NOT NULL CHECK (category_id ~ '^[0-9]+$'),
    next_run_at      timestamptz NOT NULL DEFAULT now(),
    last_run_at      timestamptz,
    last_sweep_at    timestamptz,
    last_error       text,
    avg_calls_per_run real NOT NULL DEFAULT 1 CHECK (avg_calls_per_run > 0),
    lease_holder     text,
    lease_expires_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (marketplace, category_id)
);
CREATE INDEX feeds_due ON feeds (next_run_at);
