namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.1, §6.2
public sealed record AuthorizeRequest(string IdTag);

public sealed record AuthorizeResponse(IdTagInfo IdTagInfo);
