-- 0012_transactionview_fillfactor: hand-written storage setting (Weasel does not model a table's fillfactor, so there is
-- nothing to export, and the drift test neither needs nor sees it).
--
-- A running session's TransactionView is updated on every daemon page, and since 0011 no indexed column changes then.
-- PostgreSQL can make such an update HOT (a new row version on the same page, no index entries) only when the page has
-- room for it: inserts now leave 30 % of each page free. Rows already stored keep their pages until they are updated.
ALTER TABLE chargeledger.mt_doc_transactionview SET (fillfactor = 70);
