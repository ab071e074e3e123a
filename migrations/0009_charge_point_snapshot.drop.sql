DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
DROP TABLE IF EXISTS chargeledger.mt_doc_chargepointsnapshot CASCADE;
