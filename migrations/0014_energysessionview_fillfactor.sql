-- 0014_energysessionview_fillfactor: hand-written storage setting, as 0012 is for TransactionView (Weasel does not model a
-- table's fillfactor, so there is nothing to export, and the drift test neither needs nor sees it).
--
-- Since 0013 no indexed column of EnergySessionView changes while its slot stays the same, and PostgreSQL makes such an
-- update HOT when the page has room for the new row version: inserts now leave 30 % of each page free. Rows already
-- stored keep their pages until they are updated.
ALTER TABLE chargeledger.mt_doc_energysessionview SET (fillfactor = 70);
