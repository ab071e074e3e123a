DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
DROP TABLE IF EXISTS chargeledger.mt_doc_alarmrulebook CASCADE;
DROP TABLE IF EXISTS chargeledger.mt_doc_alarmruleentry CASCADE;
DROP TABLE IF EXISTS chargeledger.mt_doc_alarmview CASCADE;
DROP TABLE IF EXISTS chargeledger.mt_doc_chargepointalarmstate CASCADE;
DROP TABLE IF EXISTS chargeledger.mt_doc_devicealarmstate CASCADE;
