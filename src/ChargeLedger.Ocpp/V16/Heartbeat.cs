namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.31, §6.32
public sealed record HeartbeatRequest;

public sealed record HeartbeatResponse(DateTimeOffset CurrentTime);
