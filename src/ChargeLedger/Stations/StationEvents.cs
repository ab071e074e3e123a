namespace ChargeLedger.Stations;

// Stream: station:{stationId}.

public sealed record StationRegistered(string StationId, string Name, string TimeZone, DateTimeOffset RegisteredAt);
