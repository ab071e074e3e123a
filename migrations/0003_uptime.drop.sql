DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
DROP TABLE IF EXISTS chargeledger.uptime_transitions CASCADE;
DROP TABLE IF EXISTS chargeledger.uptime_charge_points CASCADE;
DROP TABLE IF EXISTS chargeledger.uptime_stations CASCADE;
