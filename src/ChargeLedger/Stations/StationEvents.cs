namespace ChargeLedger.Stations;

// Stream: station:{stationId}.

public sealed record StationRegistered(string StationId, string Name, string TimeZone, DateTimeOffset RegisteredAt);

/// <summary>
/// From <paramref name="ValidFrom"/> on, sessions starting at this station are priced with tariff <paramref name="TariffId"/>
/// (the version in force at each session's start). On the station's stream, not the tariff's: "which tariff did this
/// station have at t" is then one short stream read, together with the station's time zone.
/// </summary>
public sealed record TariffAssignedToStation(string StationId, string TariffId, DateTimeOffset ValidFrom, string AssignedBy, DateTimeOffset AssignedAt);
