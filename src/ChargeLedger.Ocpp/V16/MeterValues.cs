namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.33, §6.34
public sealed record MeterValuesRequest(int ConnectorId, IReadOnlyList<MeterValue> MeterValue, int? TransactionId = null);

public sealed record MeterValuesResponse;

// OCPP 1.6 §7.31
public sealed record MeterValue(DateTimeOffset Timestamp, IReadOnlyList<SampledValue> SampledValue);

// OCPP 1.6 §7.43. Value stays the exact string received: with Format "SignedData" it is a signed meter
// record (e.g. OCMF) whose signature covers these characters. Context, Format, Measurand, Phase, Location and
// Unit are schema enums, kept as strings so that nothing is normalised on the way through.
public sealed record SampledValue(
    string Value,
    string? Context = null,
    string? Format = null,
    string? Measurand = null,
    string? Phase = null,
    string? Location = null,
    string? Unit = null);
