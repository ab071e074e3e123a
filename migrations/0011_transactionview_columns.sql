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


drop index if exists chargeledger.mt_doc_transactionview_idx_charge_point_id;
drop index if exists chargeledger.mt_doc_transactionview_idx_ocpp_transaction_id;
drop index if exists chargeledger.mt_doc_transactionview_idx_started_at;
alter table chargeledger.mt_doc_transactionview add column charge_point_id varchar NULL;update chargeledger.mt_doc_transactionview set "charge_point_id" = data ->> 'chargePointId';
alter table chargeledger.mt_doc_transactionview add column ocpp_transaction_id integer NULL;update chargeledger.mt_doc_transactionview set "ocpp_transaction_id" = CAST(data ->> 'ocppTransactionId' as integer);
alter table chargeledger.mt_doc_transactionview add column started_at timestamp with time zone NULL;update chargeledger.mt_doc_transactionview set "started_at" = chargeledger.mt_immutable_timestamptz(data ->> 'startedAt');
CREATE INDEX mt_doc_transactionview_idx_charge_point_id ON chargeledger.mt_doc_transactionview USING btree (charge_point_id);
CREATE INDEX mt_doc_transactionview_idx_ocpp_transaction_id ON chargeledger.mt_doc_transactionview USING btree (ocpp_transaction_id);
CREATE INDEX mt_doc_transactionview_idx_started_at ON chargeledger.mt_doc_transactionview USING btree (started_at);
DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
