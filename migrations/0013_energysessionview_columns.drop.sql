DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
drop index if exists chargeledger.mt_doc_energysessionview_idx_last_slot;
CREATE INDEX mt_doc_energysessionview_idx_last_at ON chargeledger.mt_doc_energysessionview USING btree (chargeledger.mt_immutable_timestamptz((data ->> 'lastAt')));
drop index if exists chargeledger.mt_doc_energysessionview_idx_station_id;
CREATE INDEX mt_doc_energysessionview_idx_station_id ON chargeledger.mt_doc_energysessionview USING btree (data ->> 'stationId');
alter table chargeledger.mt_doc_energysessionview drop column station_id;
alter table chargeledger.mt_doc_energysessionview drop column last_slot;
