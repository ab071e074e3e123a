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


CREATE TABLE IF NOT EXISTS chargeledger.uptime_transitions (
    seq_id             bigint                      NOT NULL,
    charge_point_id    varchar                     NOT NULL,
    connector_id       integer                     NOT NULL,
    at                 timestamp with time zone    NOT NULL,
    kind               varchar                     NOT NULL,
    value              varchar                     NOT NULL,
CONSTRAINT pkey_uptime_transitions_seq_id PRIMARY KEY (seq_id)
);

CREATE INDEX ix_uptime_transitions_cp_at ON chargeledger.uptime_transitions USING btree (charge_point_id, at);
CREATE TABLE IF NOT EXISTS chargeledger.uptime_charge_points (
    charge_point_id    varchar    NOT NULL,
    station_id         varchar    NOT NULL,
CONSTRAINT pkey_uptime_charge_points_charge_point_id PRIMARY KEY (charge_point_id)
);
CREATE TABLE IF NOT EXISTS chargeledger.uptime_stations (
    station_id    varchar    NOT NULL,
    time_zone     varchar    NOT NULL,
CONSTRAINT pkey_uptime_stations_station_id PRIMARY KEY (station_id)
);
DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
