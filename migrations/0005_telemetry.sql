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


CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_gatewayaccount (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_version          uuid                        NOT NULL DEFAULT (md5(random()::text || clock_timestamp()::text)::uuid),
    mt_dotnet_type      varchar                     NULL,
CONSTRAINT pkey_mt_doc_gatewayaccount_id PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_gridmeterdayview (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_dotnet_type      varchar                     NULL,
    mt_version          bigint                      NOT NULL DEFAULT 0,
CONSTRAINT pkey_mt_doc_gridmeterdayview_id PRIMARY KEY (id)
);

CREATE INDEX mt_doc_gridmeterdayview_idx_day_start ON chargeledger.mt_doc_gridmeterdayview USING btree ((chargeledger.mt_immutable_timestamptz(data ->> 'dayStart')));

CREATE INDEX mt_doc_gridmeterdayview_idx_station_id ON chargeledger.mt_doc_gridmeterdayview USING btree ((data ->> 'stationId'));
CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_telemetrydeadletter (
    id                  uuid                        NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_version          uuid                        NOT NULL DEFAULT (md5(random()::text || clock_timestamp()::text)::uuid),
    mt_dotnet_type      varchar                     NULL,
CONSTRAINT pkey_mt_doc_telemetrydeadletter_id PRIMARY KEY (id)
);

CREATE INDEX mt_doc_telemetrydeadletter_idx_received_at ON chargeledger.mt_doc_telemetrydeadletter USING btree ((chargeledger.mt_immutable_timestamptz(data ->> 'receivedAt')));
CREATE TABLE IF NOT EXISTS chargeledger.mt_doc_telemetrymessagekey (
    id                  varchar                     NOT NULL,
    data                jsonb                       NOT NULL,
    mt_last_modified    timestamp with time zone    NULL DEFAULT (transaction_timestamp()),
    mt_version          uuid                        NOT NULL DEFAULT (md5(random()::text || clock_timestamp()::text)::uuid),
    mt_dotnet_type      varchar                     NULL,
CONSTRAINT pkey_mt_doc_telemetrymessagekey_id PRIMARY KEY (id)
);

CREATE INDEX mt_doc_telemetrymessagekey_idx_measured_at ON chargeledger.mt_doc_telemetrymessagekey USING btree ((chargeledger.mt_immutable_timestamptz(data ->> 'measuredAt')));
DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
