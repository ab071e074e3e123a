namespace ChargeLedger.Ledger;

/// <summary>
/// Durable idempotency key of a StartTransaction (DESIGN rule 2): charge point, connector, idTag, device timestamp
/// and meterStart. Inserted in the same commit as TransactionStarted; a replay finds it and gets the same id back.
/// </summary>
public sealed class TransactionStartKey
{
    public string Id { get; set; } = "";
    public string TransactionId { get; set; } = "";
    public int OcppTransactionId { get; set; }
    public string IdTagStatus { get; set; } = "";

    public static string For(string chargePointId, int connectorId, string idTag, DateTimeOffset timestamp, long meterStartWh) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{chargePointId}|{connectorId}|{idTag.ToUpperInvariant()}|{timestamp.UtcTicks}|{meterStartWh}");
}

/// <summary>Write-side index of a charge point's open transactions, so a reconnecting charge point's ledger can be loaded.</summary>
public sealed class OpenTransactionIndex
{
    public string Id { get; set; } = "";
    public string ChargePointId { get; set; } = "";
    public int OcppTransactionId { get; set; }
}
