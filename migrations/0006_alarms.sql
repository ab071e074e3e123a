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


CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_alarmrulebook (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_version          uuid                        NOT NULL DEFAULT (md5(random()::text || clock_timestamp()::text)::uuid),
    mt_dotnet_type      varchar                     NULL,
CONSTRAINT pkey_mt_doc_alarmrulebook_id PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_alarmruleentry (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_version          uuid                        NOT NULL DEFAULT (md5(random()::text || clock_timestamp()::text)::uuid),
    mt_dotnet_type      varchar                     NULL,
CONSTRAINT pkey_mt_doc_alarmruleentry_id PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_alarmview (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_dotnet_type      varchar                     NULL,
    mt_version          bigint                      NOT NULL DEFAULT 0,
CONSTRAINT pkey_mt_doc_alarmview_id PRIMARY KEY (id)
);

CREATE INDEX mt_doc_alarmview_idx_raised_at ON chargeledger.mt_doc_alarmview USING btree ((chargeledger.mt_immutable_timestamptz(data ->> 'raisedAt')));

CREATE INDEX mt_doc_alarmview_idx_active ON chargeledger.mt_doc_alarmview USING btree ((CAST(data ->> 'active' as boolean)));

CREATE INDEX mt_doc_alarmview_idx_station_id ON chargeledger.mt_doc_alarmview USING btree ((data ->> 'stationId'));

CREATE INDEX mt_doc_alarmview_idx_charge_point_id ON chargeledger.mt_doc_alarmview USING btree ((data ->> 'chargePointId'));
CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_chargepointalarmstate (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_version          uuid                        NOT NULL DEFAULT (md5(random()::text || clock_timestamp()::text)::uuid),
    mt_dotnet_type      varchar                     NULL,
CONSTRAINT pkey_mt_doc_chargepointalarmstate_id PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_devicealarmstate (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_version          uuid                        NOT NULL DEFAULT (md5(random()::text || clock_timestamp()::text)::uuid),
    mt_dotnet_type      varchar                     NULL,
CONSTRAINT pkey_mt_doc_devicealarmstate_id PRIMARY KEY (id)
);
DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
