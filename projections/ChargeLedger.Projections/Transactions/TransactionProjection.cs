using ChargeLedger.Transactions;
using Marten.Events.Aggregation;

namespace ChargeLedger.Projections.Transactions;

public partial class TransactionProjection : SingleStreamProjection<TransactionView, string>
{
    public const string ProjectionName = "Transactions";

    public TransactionProjection()
    {
        Name = ProjectionName;
    }

    public static TransactionView Create(TransactionStarted e) => new()
    {
        Id = ChargeLedger.Shared.StreamKeys.Transaction(e.TransactionId),
        TransactionId = e.TransactionId,
        OcppTransactionId = e.OcppTransactionId,
        ChargePointId = e.ChargePointId,
        StationId = e.StationId,
        ConnectorId = e.ConnectorId,
        IdTag = e.IdTag,
        IdTagStatus = e.IdTagStatus,
        StartedAt = e.StartedAt,
        MeterStartWh = e.MeterStartWh,
    };

    /// <summary>While a transaction runs, its energy so far follows the register.</summary>
    public static void Apply(MeterValuesRecorded e, TransactionView view)
    {
        if (view.Status == TransactionView.Active && MeterReadings.LatestEnergyRegister(e.Samples) is { } reading && reading.Wh > view.MeterStartWh)
        {
            view.EnergyWh = reading.Wh - view.MeterStartWh;
        }
    }

    public static void Apply(TransactionStopped e, TransactionView view)
    {
        view.Status = TransactionView.Completed;
        view.StoppedAt = e.StoppedAt;
        view.MeterStopWh = e.MeterStopWh;
        view.EnergyWh = e.EnergyWh;
        view.StopReason = e.Reason;
    }

    public static void Apply(TransactionAnomalyDetected e, TransactionView view) => view.Anomalies++;
}
