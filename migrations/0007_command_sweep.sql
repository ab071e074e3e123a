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


CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_opencommand (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_version          uuid                        NOT NULL DEFAULT (md5(random()::text || clock_timestamp()::text)::uuid),
    mt_dotnet_type      varchar                     NULL,
CONSTRAINT pkey_mt_doc_opencommand_id PRIMARY KEY (id)
);

CREATE INDEX mt_doc_opencommand_idx_since ON chargeledger.mt_doc_opencommand USING btree ((chargeledger.mt_immutable_timestamptz(data ->> 'since')));
DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
