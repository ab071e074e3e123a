-- 0010_projection_groups: hand-written data migration (no schema change, so nothing to export).
--
-- ChargePointStatus, Uptime and Alarms now run as the projection group Operations; Transactions, Energy and Cdrs as
-- the group Sessions (projections/ChargeLedger.Projections/ProjectionGroups.cs). A group's daemon shard starts from
-- its own progression row and moves its members' rows with it, each from the group's position. On a database the
-- ungrouped projections already ran on, this gives each group the position its members reached:
--  * every member at one position (the previous version stopped with its projections caught up): the group carries on
--    from there, and nothing is replayed;
--  * otherwise: a member ahead of the others would apply some events twice, so the group's read models are emptied and
--    its members' positions removed; the daemon then replays every event into them, as a rebuild does.
-- A database without those rows (a new one) is left as it is.
DO $$
DECLARE
    g record;
    members_found integer;
    lowest bigint;
    highest bigint;
    t text;
BEGIN
    FOR g IN SELECT * FROM (VALUES
        ('Operations:All', ARRAY['ChargePointStatus:All', 'Uptime:All', 'Alarms:All'],
            ARRAY['mt_doc_chargepointstatusview', 'uptime_transitions', 'uptime_charge_points', 'uptime_stations', 'mt_doc_alarmview']),
        ('Sessions:All', ARRAY['Transactions:All', 'Energy:All', 'Cdrs:All'],
            ARRAY['mt_doc_transactionview', 'mt_doc_energysessionview', 'mt_doc_cdrview'])) AS groups(shard, members, tables)
    LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM chargeledger.mt_event_progression WHERE name = g.shard);

        SELECT count(*), min(last_seq_id), max(last_seq_id) INTO members_found, lowest, highest
        FROM chargeledger.mt_event_progression WHERE name = ANY (g.members);
        CONTINUE WHEN members_found = 0;

        IF members_found = cardinality(g.members) AND lowest = highest THEN
            INSERT INTO chargeledger.mt_event_progression (name, last_seq_id) VALUES (g.shard, lowest);
            RAISE NOTICE 'Projection group % carries on from sequence %', g.shard, lowest;
        ELSE
            DELETE FROM chargeledger.mt_event_progression WHERE name = ANY (g.members);
            FOREACH t IN ARRAY g.tables
            LOOP
                EXECUTE format('TRUNCATE TABLE chargeledger.%I', t);
            END LOOP;
            RAISE NOTICE 'Projection group %: its members stood at sequences % to %; its read models are replayed from the first event',
                g.shard, lowest, highest;
        END IF;
    END LOOP;
END
$$;
