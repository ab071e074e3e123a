using ChargeLedger.Projections.Energy;
using ChargeLedger.Stations;
using ChargeLedger.Transactions;
using NodaTime;

namespace ChargeLedger.Tests.Energy;

/// <summary>Builds energy documents by running events through <see cref="EnergyProjection"/>'s own Create and Apply.</summary>
internal static class EnergySession
{
    public const string StationId = "ST-1";
    public static readonly DateTimeZone Berlin = StationClock.Zone("Europe/Berlin");
    public static readonly IReadOnlyDictionary<string, DateTimeZone> BerlinStations = new Dictionary<string, DateTimeZone> { [StationId] = Berlin };

    public static DateTimeOffset Utc(int year, int month, int day, int hour, int minute, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    public static TransactionStarted Started(DateTimeOffset at, long meterStartWh, string chargePointId = "CP-1", int connectorId = 1, int ocppId = 1) =>
        new($"{chargePointId}:{ocppId}", ocppId, chargePointId, StationId, connectorId, "TAG-1", "Accepted", meterStartWh, null, at, at);

    public static MeterValuesRecorded Values(params MeterSample[] samples) => new("CP-1:1", "CP-1", 1, samples, DateTimeOffset.UnixEpoch);

    public static TransactionStopped Stopped(DateTimeOffset at, long meterStopWh, params MeterSample[] transactionData) =>
        new("CP-1:1", "CP-1", 1, meterStopWh, 0, "Local", null, transactionData, at, at);

    public static MeterSample Register(DateTimeOffset at, string value, string? unit = "Wh", string? phase = null, string? location = null,
        string? measurand = MeterReadings.EnergyActiveImportRegister) =>
        new(at, value, measurand, phase, unit, "Sample.Periodic", null, location);

    public static MeterSample Power(DateTimeOffset at, string value, string? unit = "W") =>
        new(at, value, EnergySamples.PowerActiveImport, null, unit, "Sample.Periodic", null, null);

    /// <summary>TransactionStarted, then every further event through the projection's Apply methods.</summary>
    public static EnergySessionView Run(TransactionStarted started, params object[] events)
    {
        var view = EnergyProjection.Create(started);
        foreach (var e in events)
        {
            switch (e)
            {
                case MeterValuesRecorded values:
                    EnergyProjection.Apply(values, view);
                    break;
                case TransactionStopped stopped:
                    EnergyProjection.Apply(stopped, view);
                    break;
                default:
                    throw new ArgumentException($"Not an energy event: {e.GetType().Name}", nameof(events));
            }
        }

        return view;
    }

    /// <summary>Slot start (UTC, "HH:mm") → Wh, for compact assertions.</summary>
    public static Dictionary<string, long> SlotEnergy(EnergySessionView view) =>
        view.Slots.ToDictionary(s => EnergyPeriods.SlotStart(s.Slot).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), s => s.EnergyWh);
}
