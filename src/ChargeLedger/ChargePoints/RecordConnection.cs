using ChargeLedger.Ledger;

namespace ChargeLedger.ChargePoints;

/// <summary>
/// An authenticated connection for the charge point opened (its WebSocket, or EMQX's OCPP gateway reporting it);
/// <paramref name="ReplacedConnectionId"/> when it took over from another.
/// </summary>
public sealed record RecordConnected(ChargePointLedger Ledger, string ConnectionId, string? RemoteAddress, string? ReplacedConnectionId);

public sealed record RecordDisconnected(ChargePointLedger Ledger, string ConnectionId, string Reason);

public static class RecordConnectedHandler
{
    /// <summary>The same connection reported again (every bridge node hears EMQX's connected message) leaves no trace.</summary>
    public static Decision<bool> Handle(RecordConnected command, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var cp = command.Ledger.ChargePoint;
        if (cp.Connected && cp.ConnectionId == command.ConnectionId)
        {
            return Decision.Nothing(false);
        }

        var events = new List<object>();
        if (command.ReplacedConnectionId is { } old)
        {
            events.Add(new ChargePointConnectionReplaced(cp.Id, old, command.ConnectionId, now));
        }
        else
        {
            events.Add(new ChargePointConnected(cp.Id, command.ConnectionId, command.RemoteAddress, now));
        }

        return Decision.Of(true, new LedgerChange([new StreamAppend(command.Ledger.StreamKey, cp.Version, events)], [], []));
    }
}

public static class RecordDisconnectedHandler
{
    /// <summary>A connection that was already replaced leaves no trace: the charge point is still connected.</summary>
    public static Decision<bool> Handle(RecordDisconnected command, TimeProvider time)
    {
        var cp = command.Ledger.ChargePoint;
        if (cp.ConnectionId != command.ConnectionId)
        {
            return Decision.Nothing(false);
        }

        var disconnected = new ChargePointDisconnected(cp.Id, command.ConnectionId, command.Reason, time.GetUtcNow());
        return Decision.Of(true, LedgerChange.Append(command.Ledger.StreamKey, cp.Version, disconnected));
    }
}
