-- Rollback of 0014_energysessionview_fillfactor: pages fill up completely again.
ALTER TABLE chargeledger.mt_doc_energysessionview RESET (fillfactor);
