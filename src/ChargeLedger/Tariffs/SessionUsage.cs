using ChargeLedger.Transactions;

namespace ChargeLedger.Tariffs;

/// <summary>
/// What a session used, in device time, as the pricing engine takes it.
/// <list type="bullet">
/// <item><paramref name="Readings"/>: Energy.Active.Import.Register samples in between; energy is meterStop − meterStart,
/// apportioned over time by linear interpolation between them (CONTRACT.md). A register going backwards is held at its
/// highest value so far and every reading is clamped into [meterStart, max(meterStart, meterStop)], so no stretch of the
/// session is ever billed negative energy.</item>
/// <item><paramref name="StatusChanges"/>: the connector's status reports, Charging or not. Only reports at or after the
/// start and before the stop count; until the first of them the connector is taken to be charging, so with none the whole
/// session is charging time (CONTRACT.md). Reports before the start (Preparing, Available) describe the connector before
/// the session and are ignored.</item>
/// <item>A stop before the start (a charge point clock jump) is taken as a session of zero length.</item>
/// </list>
/// </summary>
public sealed record SessionUsage(
    DateTimeOffset StartedAt,
    DateTimeOffset StoppedAt,
    long MeterStartWh,
    long MeterStopWh,
    IReadOnlyList<EnergyReading> Readings,
    IReadOnlyList<ChargingStateChange> StatusChanges);

/// <summary>A connector status report reduced to what pricing needs: is it Charging (TIME) or not (PARKING_TIME).</summary>
public readonly record struct ChargingStateChange(DateTimeOffset At, bool Charging);
