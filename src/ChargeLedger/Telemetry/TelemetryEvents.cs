namespace ChargeLedger.Telemetry;

// Stream: device:{deviceId}, one per mapped device (meter, transformer, cabinet, ...).

/// <summary>
/// The samples of one device taken from one gateway message (one Neuron node/group at one timestamp).
/// <paramref name="MeasuredAt"/> is the gateway's timestamp; Marten records the server time.
/// </summary>
public sealed record TelemetryRecorded(
    string DeviceId,
    string StationId,
    string GatewayId,
    string Kind,
    DateTimeOffset MeasuredAt,
    IReadOnlyList<TelemetrySample> Samples);

/// <summary>
/// One measurand: <paramref name="Value"/> is already scaled into <paramref name="Unit"/>; null when the gateway reported
/// an error for the tag instead, kept as the quality flag <paramref name="ErrorCode"/> (Neuron's error code).
/// </summary>
public sealed record TelemetrySample(string Tag, string Measurand, string Unit, decimal? Value, int? ErrorCode);
