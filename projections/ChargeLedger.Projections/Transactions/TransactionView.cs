namespace ChargeLedger.Projections.Transactions;

/// <summary>One charging transaction as operators and finance list it (CONTRACT.md Reads).</summary>
public sealed class TransactionView
{
    public const string Active = "Active";
    public const string Completed = "Completed";

    public string Id { get; set; } = "";
    public string TransactionId { get; set; } = "";
    public int OcppTransactionId { get; set; }
    public string ChargePointId { get; set; } = "";
    public string StationId { get; set; } = "";
    public int ConnectorId { get; set; }
    public string IdTag { get; set; } = "";
    public string IdTagStatus { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? StoppedAt { get; set; }
    public long MeterStartWh { get; set; }
    public long? MeterStopWh { get; set; }
    public long EnergyWh { get; set; }
    public string? StopReason { get; set; }
    public string Status { get; set; } = Active;
    public int Anomalies { get; set; }
}
