DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
drop index if exists chargeledger.mt_doc_transactionview_idx_charge_point_id;
CREATE INDEX mt_doc_transactionview_idx_charge_point_id ON chargeledger.mt_doc_transactionview USING btree (data ->> 'chargePointId');
drop index if exists chargeledger.mt_doc_transactionview_idx_ocpp_transaction_id;
CREATE INDEX mt_doc_transactionview_idx_ocpp_transaction_id ON chargeledger.mt_doc_transactionview USING btree (CAST(data ->> 'ocppTransactionId' as integer));
drop index if exists chargeledger.mt_doc_transactionview_idx_started_at;
CREATE INDEX mt_doc_transactionview_idx_started_at ON chargeledger.mt_doc_transactionview USING btree (chargeledger.mt_immutable_timestamptz((data ->> 'startedAt')));
alter table chargeledger.mt_doc_transactionview drop column charge_point_id;
alter table chargeledger.mt_doc_transactionview drop column ocpp_transaction_id;
alter table chargeledger.mt_doc_transactionview drop column started_at;
