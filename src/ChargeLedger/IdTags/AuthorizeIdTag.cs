using ChargeLedger.Ledger;

namespace ChargeLedger.IdTags;

/// <summary>OCPP 1.6 §4.1 Authorize. A read: it changes nothing and appends nothing.</summary>
public sealed record AuthorizeIdTag(ChargePointLedger Ledger, string IdTag);

public static class AuthorizeIdTagHandler
{
    public static Task<IdTag?> LoadAsync(AuthorizeIdTag command, LedgerStore store, CancellationToken cancellationToken) =>
        store.LoadIdTagAsync(command.IdTag, cancellationToken);

    public static Decision<Authorization> Handle(AuthorizeIdTag command, IdTag? tag, TimeProvider time) =>
        Decision.Nothing(IdTag.Authorize(tag, time.GetUtcNow()));
}
