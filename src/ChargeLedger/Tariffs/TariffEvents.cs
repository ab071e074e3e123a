namespace ChargeLedger.Tariffs;

// Stream: tariff:{tariffId}. Each publication is a new version (1, 2, ...); versions are never edited.
// The assignment of a tariff to a station lives on the station's stream (TariffAssignedToStation).

/// <summary>
/// A tariff version as published: the full definition, so a version can be priced with on its own years later.
/// <paramref name="ValidFrom"/> defaults to the publication time; <paramref name="PublishedBy"/> is the API key name.
/// </summary>
public sealed record TariffPublished(
    string TariffId,
    int Version,
    string Currency,
    IReadOnlyList<TariffElement> Elements,
    DateTimeOffset ValidFrom,
    string PublishedBy,
    DateTimeOffset PublishedAt);
