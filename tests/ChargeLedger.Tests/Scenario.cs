using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using Microsoft.Extensions.Time.Testing;

namespace ChargeLedger.Tests;

/// <summary>
/// Given-side helpers in the spirit of Oskar Dudycz's scenario helpers: state is built by folding events through the
/// aggregates' own Advance, never by constructing records by hand, so tests exercise Apply as production does.
/// </summary>
internal static class Scenario
{
    public const string ChargePointId = "CP-1";
    public const string StationId = "ST-1";
    public const string TagId = "TAG-1";

    /// <summary>The fixed "now" of every test clock.</summary>
    public static readonly DateTimeOffset Now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider Clock() => new(Now);

    public static ChargePointRegistered Registered() => new(ChargePointId, StationId, Now.AddDays(-7));

    /// <summary>A charge point ledger whose stream holds ChargePointRegistered followed by <paramref name="events"/>.</summary>
    public static ChargePointLedger ChargePoint(params object[] events) => ChargePoint(events, []);

    public static ChargePointLedger ChargePoint(IEnumerable<object> events, IEnumerable<TransactionEntry> openTransactions) =>
        new(global::ChargeLedger.ChargePoints.ChargePoint.Fold([Registered(), .. events])!, openTransactions);

    /// <summary>A charge point with one transaction open.</summary>
    public static ChargePointLedger WithOpenTransaction(TransactionEntry entry, params object[] chargePointEvents) =>
        ChargePoint(chargePointEvents, [entry]);

    public static TransactionEntry Transaction(string lastHash, params object[] events) =>
        new(global::ChargeLedger.Transactions.Transaction.Fold(events)!, lastHash);

    public static string TransactionId(int ocppTransactionId) => StreamKeys.TransactionId(ChargePointId, ocppTransactionId);

    public static TransactionStarted Started(int ocppTransactionId, int connectorId = 1, long meterStartWh = 1_000,
        DateTimeOffset? startedAt = null) =>
        new(TransactionId(ocppTransactionId), ocppTransactionId, ChargePointId, StationId, connectorId, TagId, "Accepted",
            meterStartWh, null, startedAt ?? Now.AddMinutes(-30), startedAt ?? Now.AddMinutes(-30));

    public static TransactionStopped Stopped(int ocppTransactionId, long meterStopWh, DateTimeOffset stoppedAt, int connectorId = 1) =>
        new(TransactionId(ocppTransactionId), ChargePointId, connectorId, meterStopWh, 0, "Local", null, [], stoppedAt, stoppedAt);

    public static MeterValuesRecorded Recorded(int ocppTransactionId, params MeterSample[] samples) =>
        new(TransactionId(ocppTransactionId), ChargePointId, 1, samples, Now);

    public static MeterSample Register(DateTimeOffset at, string value, string? unit = null, string? phase = null, string? format = null,
        string? measurand = MeterReadings.EnergyActiveImportRegister) =>
        new(at, value, measurand, phase, unit, "Sample.Periodic", format, "Outlet");

    public static ConnectorStatusChanged StatusChanged(int connectorId, ConnectorStatus status, string errorCode = "NoError",
        string? info = null, string? vendorErrorCode = null) =>
        new(ChargePointId, connectorId, status, errorCode, info, null, vendorErrorCode, Now.AddHours(-1), Now.AddHours(-1));

    /// <summary>Every event of a change, stream by stream, in order.</summary>
    public static IReadOnlyList<object> Events(this LedgerChange change) => [.. change.Appends.SelectMany(a => a.Events)];

    /// <summary>The single append of a change, asserted to be the only one.</summary>
    public static StreamAppend SingleAppend(this LedgerChange change) => change.Appends.ShouldHaveSingleItem();
}
