DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
DROP TABLE IF EXISTS chargeledger.mt_doc_gatewayaccount CASCADE;
DROP TABLE IF EXISTS chargeledger.mt_doc_gridmeterdayview CASCADE;
DROP TABLE IF EXISTS chargeledger.mt_doc_telemetrydeadletter CASCADE;
DROP TABLE IF EXISTS chargeledger.mt_doc_telemetrymessagekey CASCADE;
