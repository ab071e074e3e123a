using System.Collections.Immutable;

namespace ChargeLedger.ChargePoints;

public sealed record ConnectorState(
    int ConnectorId,
    ConnectorStatus Status,
    string ErrorCode,
    string? Info,
    string? VendorErrorCode,
    DateTimeOffset Since);

/// <summary>
/// The charge point aggregate: what the decisions about its messages need, folded from its stream.
/// <paramref name="SilentSince"/> is set while the current connection is silent (ChargePointWentSilent), so each silence
/// is recorded once and ended once.
/// </summary>
public sealed record ChargePoint(
    string Id,
    string StationId,
    string? Vendor,
    string? Model,
    string? FirmwareVersion,
    bool Connected,
    string? ConnectionId,
    DateTimeOffset? BootedAt,
    ImmutableSortedDictionary<int, ConnectorState> Connectors,
    int UnknownTransactionReports,
    long Version,
    DateTimeOffset? SilentSince = null)
{
    public static ChargePoint Create(ChargePointRegistered e) =>
        new(e.ChargePointId, e.StationId, null, null, null, false, null, null,
            ImmutableSortedDictionary<int, ConnectorState>.Empty, 0, 0);

    public ChargePoint Apply(ChargePointBooted e) =>
        this with { Vendor = e.Vendor, Model = e.Model, FirmwareVersion = e.FirmwareVersion, BootedAt = e.BootedAt };

    public ChargePoint Apply(ChargePointConnected e) => this with { Connected = true, ConnectionId = e.ConnectionId, SilentSince = null };

    public ChargePoint Apply(ChargePointConnectionReplaced e) =>
        this with { Connected = true, ConnectionId = e.NewConnectionId, SilentSince = null };

    public ChargePoint Apply(ChargePointDisconnected e) =>
        e.ConnectionId == ConnectionId ? this with { Connected = false, ConnectionId = null, SilentSince = null } : this;

    public ChargePoint Apply(ChargePointWentSilent e) => e.ConnectionId == ConnectionId ? this with { SilentSince = e.LastHeardAt } : this;

    public ChargePoint Apply(ChargePointHeardAgain e) => e.ConnectionId == ConnectionId ? this with { SilentSince = null } : this;

    public ChargePoint Apply(ConnectorStatusChanged e) =>
        this with
        {
            Connectors = Connectors.SetItem(e.ConnectorId,
                new ConnectorState(e.ConnectorId, e.Status, e.ErrorCode, e.Info, e.VendorErrorCode, e.StatusAt)),
        };

    public ChargePoint Apply(UnknownTransactionReported e) => this with { UnknownTransactionReports = UnknownTransactionReports + 1 };

    public ConnectorStatus? StatusOf(int connectorId) =>
        Connectors.TryGetValue(connectorId, out var c) ? c.Status : null;

    /// <summary>Folds one event; events this aggregate does not need only advance the version.</summary>
    public static ChargePoint? Advance(ChargePoint? state, object @event)
    {
        var next = (state, @event) switch
        {
            (null, ChargePointRegistered e) => Create(e),
            (null, _) => null,
            (_, ChargePointBooted e) => state.Apply(e),
            (_, ChargePointConnected e) => state.Apply(e),
            (_, ChargePointConnectionReplaced e) => state.Apply(e),
            (_, ChargePointDisconnected e) => state.Apply(e),
            (_, ChargePointWentSilent e) => state.Apply(e),
            (_, ChargePointHeardAgain e) => state.Apply(e),
            (_, ConnectorStatusChanged e) => state.Apply(e),
            (_, UnknownTransactionReported e) => state.Apply(e),
            _ => state,
        };
        return next is null ? null : next with { Version = (state?.Version ?? 0) + 1 };
    }

    public static ChargePoint? Fold(IEnumerable<object> events) => events.Aggregate((ChargePoint?)null, Advance);
}
