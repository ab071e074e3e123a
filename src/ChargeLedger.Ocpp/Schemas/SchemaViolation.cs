namespace ChargeLedger.Ocpp.Schemas;

/// <summary>The first schema failure of a payload, as an OCPP-J CALLERROR code and a short, bounded description.</summary>
public sealed record SchemaViolation(string ErrorCode, string Description);
