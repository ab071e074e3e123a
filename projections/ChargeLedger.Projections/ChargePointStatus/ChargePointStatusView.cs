using ChargeLedger.ChargePoints;

namespace ChargeLedger.Projections.ChargePointStatus;

public sealed class ConnectorStatusView
{
    public int ConnectorId { get; set; }
    public ConnectorStatus Status { get; set; }
    public string ErrorCode { get; set; } = "NoError";
    public string? Info { get; set; }
    public string? VendorErrorCode { get; set; }
    public DateTimeOffset Since { get; set; }
}

/// <summary>Live status of a charge point and its connectors (operators).</summary>
public sealed class ChargePointStatusView
{
    public string Id { get; set; } = "";
    public string ChargePointId { get; set; } = "";
    public string StationId { get; set; } = "";
    public string? Vendor { get; set; }
    public string? Model { get; set; }
    public string? FirmwareVersion { get; set; }
    public bool Connected { get; set; }
    public string? ConnectionId { get; set; }
    public DateTimeOffset? LastEventAt { get; set; }
    public List<ConnectorStatusView> Connectors { get; set; } = [];
}
