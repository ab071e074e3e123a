-- Rollback of 0012_transactionview_fillfactor: pages fill up completely again.
ALTER TABLE chargeledger.mt_doc_transactionview RESET (fillfactor);
