using ChargeLedger.ChargePoints;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace ChargeLedger.Projections.ChargePointStatus;

public partial class ChargePointStatusProjection : SingleStreamProjection<ChargePointStatusView, string>
{
    public const string ProjectionName = "ChargePointStatus";

    public ChargePointStatusProjection()
    {
        Name = ProjectionName;
    }

    public static ChargePointStatusView Create(IEvent<ChargePointRegistered> e) => new()
    {
        Id = e.StreamKey!, ChargePointId = e.Data.ChargePointId, StationId = e.Data.StationId, LastEventAt = e.Timestamp,
    };

    public static void Apply(IEvent<ChargePointBooted> e, ChargePointStatusView view)
    {
        view.Vendor = e.Data.Vendor;
        view.Model = e.Data.Model;
        view.FirmwareVersion = e.Data.FirmwareVersion;
        view.LastEventAt = e.Timestamp;
    }

    public static void Apply(IEvent<ChargePointConnected> e, ChargePointStatusView view)
    {
        view.Connected = true;
        view.ConnectionId = e.Data.ConnectionId;
        view.LastEventAt = e.Timestamp;
    }

    public static void Apply(IEvent<ChargePointConnectionReplaced> e, ChargePointStatusView view)
    {
        view.Connected = true;
        view.ConnectionId = e.Data.NewConnectionId;
        view.LastEventAt = e.Timestamp;
    }

    public static void Apply(IEvent<ChargePointDisconnected> e, ChargePointStatusView view)
    {
        if (view.ConnectionId == e.Data.ConnectionId)
        {
            view.Connected = false;
            view.ConnectionId = null;
        }

        view.LastEventAt = e.Timestamp;
    }

    public static void Apply(IEvent<ConnectorStatusChanged> e, ChargePointStatusView view)
    {
        var connector = view.Connectors.Find(c => c.ConnectorId == e.Data.ConnectorId);
        if (connector is null)
        {
            connector = new ConnectorStatusView { ConnectorId = e.Data.ConnectorId };
            view.Connectors.Add(connector);
            view.Connectors.Sort((a, b) => a.ConnectorId.CompareTo(b.ConnectorId));
        }

        connector.Status = e.Data.Status;
        connector.ErrorCode = e.Data.ErrorCode;
        connector.Info = e.Data.Info;
        connector.VendorErrorCode = e.Data.VendorErrorCode;
        connector.Since = e.Data.StatusAt;
        view.LastEventAt = e.Timestamp;
    }
}
