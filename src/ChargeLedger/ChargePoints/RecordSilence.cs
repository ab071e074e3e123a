using ChargeLedger.Ledger;

namespace ChargeLedger.ChargePoints;

/// <summary>The gateway's watchdog saw nothing from the open connection since <paramref name="LastHeardAt"/> for twice the heartbeat interval.</summary>
public sealed record RecordWentSilent(ChargePointLedger Ledger, string ConnectionId, DateTimeOffset LastHeardAt);

/// <summary>A silent connection delivered a message at <paramref name="HeardAt"/> (server time of its arrival).</summary>
public sealed record RecordHeardAgain(ChargePointLedger Ledger, string ConnectionId, DateTimeOffset HeardAt);

public static class RecordWentSilentHandler
{
    /// <summary>One event per silence: nothing for a connection that is not the current one or is already silent.</summary>
    public static Decision<bool> Handle(RecordWentSilent command, TimeProvider time)
    {
        var cp = command.Ledger.ChargePoint;
        if (cp.ConnectionId != command.ConnectionId || cp.SilentSince is not null)
        {
            return Decision.Nothing(false);
        }

        var silent = new ChargePointWentSilent(cp.Id, command.ConnectionId, command.LastHeardAt, time.GetUtcNow());
        return Decision.Of(true, LedgerChange.Append(command.Ledger.StreamKey, cp.Version, silent));
    }
}

public static class RecordHeardAgainHandler
{
    public static Decision<bool> Handle(RecordHeardAgain command)
    {
        var cp = command.Ledger.ChargePoint;
        if (cp.ConnectionId != command.ConnectionId || cp.SilentSince is not { } since)
        {
            return Decision.Nothing(false);
        }

        var heard = new ChargePointHeardAgain(cp.Id, command.ConnectionId, since, command.HeardAt);
        return Decision.Of(true, LedgerChange.Append(command.Ledger.StreamKey, cp.Version, heard));
    }
}
