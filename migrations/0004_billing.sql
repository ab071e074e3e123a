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


CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_cdrview (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_dotnet_type      varchar                     NULL,
    mt_version          bigint                      NOT NULL DEFAULT 0,
CONSTRAINT pkey_mt_doc_cdrview_id PRIMARY KEY (id)
);

CREATE INDEX mt_doc_cdrview_idx_local_start_day ON chargeledger.mt_doc_cdrview USING btree ((CAST(data ->> 'localStartDay' as integer)));
DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
