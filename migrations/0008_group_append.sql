DO $$
BEGIN      IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'chargeledger') THEN
        BEGIN
          EXECUTE 'CREATE SCHEMA IF NOT EXISTS chargeledger';
        EXCEPTION
          WHEN duplicate_schema THEN NULL;
          WHEN unique_violation THEN NULL;
        END;
      END IF;

END
$$;


CREATE OR REPLACE FUNCTION chargeledger.cl_append_events(stream_ids varchar[], expected_versions bigint[], counts integer[], event_streams integer[], event_offsets integer[], event_ids uuid[], event_types varchar[], dotnet_types varchar[], bodies jsonb[], headers jsonb[]) RETURNS integer AS $$
DECLARE
    moved integer;
    wanted integer;
    bases bigint[] := expected_versions;
    upserted record;
BEGIN
    SELECT count(*) INTO wanted FROM unnest(expected_versions) AS e(v) WHERE e.v > 0;
    IF wanted > 0 THEN
        UPDATE chargeledger.mt_streams AS s SET version = s.version + g.n, timestamp = now()
        FROM unnest(stream_ids, expected_versions, counts) AS g(id, expected, n)
        WHERE g.expected > 0 AND s.id = g.id AND s.version = g.expected AND s.is_archived IS NOT TRUE;
        GET DIAGNOSTICS moved = ROW_COUNT;
        IF moved <> wanted THEN
            RAISE EXCEPTION 'Stream version mismatch: % of % streams were at the version their decisions expected', moved, wanted USING ERRCODE = 'CL001';
        END IF;
    END IF;

    INSERT INTO chargeledger.mt_streams (id, type, version, timestamp, tenant_id)
    SELECT g.id, NULL, g.n, now(), '*DEFAULT*'
    FROM unnest(stream_ids, expected_versions, counts) AS g(id, expected, n)
    WHERE g.expected = 0;

    FOR upserted IN
        WITH g AS (SELECT * FROM unnest(stream_ids, expected_versions, counts) WITH ORDINALITY AS u(id, expected, n, ord) WHERE u.expected < 0),
        up AS (
            INSERT INTO chargeledger.mt_streams AS s (id, type, version, timestamp, tenant_id)
            SELECT g.id, NULL, g.n, now(), '*DEFAULT*' FROM g
            ON CONFLICT (id) DO UPDATE SET version = s.version + excluded.version, timestamp = now()
            RETURNING s.id, s.version)
        SELECT g.ord, up.version - g.n AS base FROM up JOIN g ON g.id = up.id
    LOOP
        bases[upserted.ord] := upserted.base;
    END LOOP;

    INSERT INTO chargeledger.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers)
    SELECT nextval('chargeledger.mt_events_sequence'), e.id, stream_ids[e.stream], bases[e.stream] + e.offset_in_stream, e.body, e.type, '*DEFAULT*', now(), e.dotnet_type, FALSE, e.header
    FROM (
        SELECT * FROM unnest(event_streams, event_offsets, event_ids, event_types, dotnet_types, bodies, headers)
            WITH ORDINALITY AS u(stream, offset_in_stream, id, type, dotnet_type, body, header, ord)
        ORDER BY u.ord) AS e;
    RETURN cardinality(event_ids);
END;
$$ LANGUAGE plpgsql;
DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
