namespace ChargeLedger.ChargePoints;

/// <summary>OCPP 1.6 §7.7 ChargePointStatus.</summary>
public enum ConnectorStatus
{
    Available,
    Preparing,
    Charging,
    SuspendedEVSE,
    SuspendedEV,
    Finishing,
    Reserved,
    Unavailable,
    Faulted,
}

/// <summary>The connector state machine of OCPP 1.6 §4.9 (transition table A1-I9).</summary>
public static class ConnectorStateMachine
{
    private static readonly Dictionary<ConnectorStatus, ConnectorStatus[]> Allowed = new()
    {
        [ConnectorStatus.Available] = [ConnectorStatus.Preparing, ConnectorStatus.Charging, ConnectorStatus.SuspendedEV,
            ConnectorStatus.SuspendedEVSE, ConnectorStatus.Reserved, ConnectorStatus.Unavailable, ConnectorStatus.Faulted],
        [ConnectorStatus.Preparing] = [ConnectorStatus.Available, ConnectorStatus.Charging, ConnectorStatus.SuspendedEV,
            ConnectorStatus.SuspendedEVSE, ConnectorStatus.Finishing, ConnectorStatus.Faulted],
        [ConnectorStatus.Charging] = [ConnectorStatus.Available, ConnectorStatus.SuspendedEV, ConnectorStatus.SuspendedEVSE,
            ConnectorStatus.Finishing, ConnectorStatus.Unavailable, ConnectorStatus.Faulted],
        [ConnectorStatus.SuspendedEV] = [ConnectorStatus.Available, ConnectorStatus.Charging, ConnectorStatus.SuspendedEVSE,
            ConnectorStatus.Finishing, ConnectorStatus.Unavailable, ConnectorStatus.Faulted],
        [ConnectorStatus.SuspendedEVSE] = [ConnectorStatus.Available, ConnectorStatus.Charging, ConnectorStatus.SuspendedEV,
            ConnectorStatus.Finishing, ConnectorStatus.Unavailable, ConnectorStatus.Faulted],
        [ConnectorStatus.Finishing] = [ConnectorStatus.Available, ConnectorStatus.Preparing, ConnectorStatus.Unavailable,
            ConnectorStatus.Faulted],
        [ConnectorStatus.Reserved] = [ConnectorStatus.Available, ConnectorStatus.Preparing, ConnectorStatus.Unavailable,
            ConnectorStatus.Faulted],
        [ConnectorStatus.Unavailable] = [ConnectorStatus.Available, ConnectorStatus.Preparing, ConnectorStatus.Charging,
            ConnectorStatus.SuspendedEV, ConnectorStatus.SuspendedEVSE, ConnectorStatus.Faulted],
        [ConnectorStatus.Faulted] = [ConnectorStatus.Available, ConnectorStatus.Preparing, ConnectorStatus.Charging,
            ConnectorStatus.SuspendedEV, ConnectorStatus.SuspendedEVSE, ConnectorStatus.Finishing, ConnectorStatus.Reserved,
            ConnectorStatus.Unavailable],
    };

    /// <summary>Connector 0 (the charge point as a whole) only reports Available, Unavailable and Faulted (§4.9).</summary>
    public static bool IsValidFor(int connectorId, ConnectorStatus status) =>
        connectorId != 0 || status is ConnectorStatus.Available or ConnectorStatus.Unavailable or ConnectorStatus.Faulted;

    /// <summary>
    /// Whether the spec lists the transition. A first report (no previous status) is always expected.
    /// The charge point is authoritative, so an unexpected transition is recorded and flagged, never refused.
    /// </summary>
    public static bool IsExpected(ConnectorStatus? from, ConnectorStatus to) =>
        from is null || from == to || Allowed[from.Value].Contains(to);
}
