-- Product keys split two more markets (issue 15): a RAM key names the module kind
-- (ram:ddr4:rdimm:ecc_reg:32gb:2666 where it was ram:ddr4:ecc_reg:32gb:2666), and an Optane
-- (3D XPoint) drive's kind is `xpoint`, not `ssd`. Stored extractions carry the old keys
-- and no module kind, so every current RAM and drive extraction is queued to be read again
-- ('manual', as `spt reextract` queues them), rules first as always. Until its job is done
-- a listing keeps its old key and old baseline; the next full baseline refresh drops the
-- old keys' baselines once no listing carries them.
INSERT INTO extraction_jobs (listing_id, reason)
SELECT e.listing_id, 'manual' FROM extractions e
WHERE e.is_current AND e.component_type IN ('ram', 'drive')
ON CONFLICT (listing_id) WHERE status IN ('pending', 'running') DO NOTHING;

-- A muted old RAM key covered every module kind it merged, so it now mutes each of them
-- (the old row stays, for listings not read again yet).
INSERT INTO mutes (guild_id, kind, value, created_by, created_at)
SELECT m.guild_id, m.kind,
       concat_ws(':', 'ram', split_part(m.value, ':', 2), k.module, split_part(m.value, ':', 3),
                 split_part(m.value, ':', 4), split_part(m.value, ':', 5)),
       m.created_by, m.created_at
FROM mutes m
CROSS JOIN (VALUES ('rdimm'), ('lrdimm'), ('udimm'), ('sodimm'), ('unknown')) AS k (module)
WHERE m.kind = 'product_key' AND m.value LIKE 'ram:%'
  AND cardinality(string_to_array(m.value, ':')) = 5
ON CONFLICT DO NOTHING;

-- A muted SSD key covered the Optane drives of that size too.
INSERT INTO mutes (guild_id, kind, value, created_by, created_at)
SELECT guild_id, kind, left(value, -3) || 'xpoint', created_by, created_at
FROM mutes
WHERE kind = 'product_key' AND value LIKE 'drive:%:ssd'
ON CONFLICT DO NOTHING;
