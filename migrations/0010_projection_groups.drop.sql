-- Rollback of 0010_projection_groups: the ungrouped projections carry on from their own rows, which the groups kept equal
-- to theirs.
DELETE FROM chargeledger.mt_event_progression WHERE name IN ('Operations:All', 'Sessions:All');
