using System.Text.Json;
using ChargeLedger.Ledger;

namespace ChargeLedger.ChargePoints;

/// <summary>The charge point accepted a ChangeAvailability (OCPP 1.6 §5.2) sent as operator command <paramref name="CommandId"/>.</summary>
public sealed record RecordAvailabilitySet(ChargePointLedger Ledger, int ConnectorId, ConnectorAvailability Availability, string CommandId, string SetBy);

/// <summary>The charge point answered a GetConfiguration (OCPP 1.6 §5.8) sent as operator command <paramref name="CommandId"/>.</summary>
public sealed record RecordConfigurationReported(ChargePointLedger Ledger, JsonElement ConfigurationKey, JsonElement UnknownKey, string CommandId);

public static class RecordAvailabilitySetHandler
{
    public static Decision<bool> Handle(RecordAvailabilitySet command, TimeProvider time)
    {
        var cp = command.Ledger.ChargePoint;
        var set = new ConnectorAvailabilitySet(cp.Id, command.ConnectorId, command.Availability, command.CommandId, command.SetBy, time.GetUtcNow());
        return Decision.Of(true, LedgerChange.Append(command.Ledger.StreamKey, cp.Version, set));
    }
}

public static class RecordConfigurationReportedHandler
{
    public static Decision<bool> Handle(RecordConfigurationReported command, TimeProvider time)
    {
        var cp = command.Ledger.ChargePoint;
        var reported = new ChargePointConfigurationReported(cp.Id, command.CommandId, command.ConfigurationKey, command.UnknownKey, time.GetUtcNow());
        return Decision.Of(true, LedgerChange.Append(command.Ledger.StreamKey, cp.Version, reported));
    }
}
