using ChargeLedger.Ledger;

namespace ChargeLedger.ChargePoints;

/// <summary>OCPP 1.6 §4.9 StatusNotification; connector 0 is the charge point as a whole.</summary>
public sealed record RecordStatusNotification(
    ChargePointLedger Ledger,
    int ConnectorId,
    ConnectorStatus Status,
    string ErrorCode,
    string? Info,
    string? VendorId,
    string? VendorErrorCode,
    DateTimeOffset? Timestamp);

public static class RecordStatusNotificationHandler
{
    /// <summary>
    /// Records changes only: a repeated identical report (common after reconnects) adds nothing. The device
    /// timestamp is kept (uptime runs on it), falling back to receipt time when the charge point sends none.
    /// </summary>
    public static Decision<bool> Handle(RecordStatusNotification command, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var cp = command.Ledger.ChargePoint;
        var current = cp.Connectors.GetValueOrDefault(command.ConnectorId);
        if (current is not null && current.Status == command.Status && current.ErrorCode == command.ErrorCode &&
            current.Info == command.Info && current.VendorErrorCode == command.VendorErrorCode)
        {
            return Decision.Nothing(true);
        }

        var statusAt = command.Timestamp ?? now;
        var events = new List<object>
        {
            new ConnectorStatusChanged(cp.Id, command.ConnectorId, command.Status, command.ErrorCode, command.Info,
                command.VendorId, command.VendorErrorCode, statusAt, now),
        };
        if (!ConnectorStateMachine.IsValidFor(command.ConnectorId, command.Status) ||
            !ConnectorStateMachine.IsExpected(current?.Status, command.Status))
        {
            events.Add(new ConnectorTransitionFlagged(cp.Id, command.ConnectorId, current?.Status, command.Status, statusAt));
        }

        return Decision.Of(true, new LedgerChange([new StreamAppend(command.Ledger.StreamKey, cp.Version, events)], [], []));
    }
}
