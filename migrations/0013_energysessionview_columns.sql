-- 0013_energysessionview_columns: exported by `migrations export`, with one hand edit. EnergySessionView's StationId and
-- LastSlot move from expression indexes on data into duplicated columns (ProjectionRegistration), so an update of a
-- running session, which rewrites LastAt but keeps the slot for 15 minutes, touches no index and can be HOT (0014).
--
-- Hand edit: the export backfills last_slot from data ->> 'lastSlot', which documents stored before this release do not
-- have (LastSlot is a computed property new here). The backfill computes it from lastAt instead, exactly as
-- EnergyPeriods.SlotOf does: floor((lastAt - Unix epoch) / 15 min).
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


drop index if exists chargeledger.mt_doc_energysessionview_idx_last_at;
drop index if exists chargeledger.mt_doc_energysessionview_idx_station_id;
alter table chargeledger.mt_doc_energysessionview add column station_id varchar NULL;update chargeledger.mt_doc_energysessionview set "station_id" = data ->> 'stationId';
alter table chargeledger.mt_doc_energysessionview add column last_slot bigint NULL;update chargeledger.mt_doc_energysessionview set "last_slot" = floor(extract(epoch from chargeledger.mt_immutable_timestamptz(data ->> 'lastAt')) / 900)::bigint;
CREATE INDEX mt_doc_energysessionview_idx_last_slot ON chargeledger.mt_doc_energysessionview USING btree (last_slot);
CREATE INDEX mt_doc_energysessionview_idx_station_id ON chargeledger.mt_doc_energysessionview USING btree (station_id);
DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
