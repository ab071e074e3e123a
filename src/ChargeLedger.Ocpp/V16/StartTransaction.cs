namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.45, §6.46
public sealed record StartTransactionRequest(int ConnectorId, string IdTag, int MeterStart, DateTimeOffset Timestamp, int? ReservationId = null);

public sealed record StartTransactionResponse(IdTagInfo IdTagInfo, int TransactionId);
