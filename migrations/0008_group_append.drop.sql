DO LANGUAGE plpgsql $tran$
BEGIN


END;
$tran$;
drop function if exists chargeledger.cl_append_events(varchar[], bigint[], integer[], integer[], integer[], uuid[], varchar[], varchar[], jsonb[], jsonb[]);
