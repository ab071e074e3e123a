namespace ChargeLedger.ChargePoints;

/// <summary>
/// Liveness kept in memory by the gateway holding the charge point's connection: heartbeats are not events
/// (they would be most of the traffic; DESIGN.md), so "last seen" is asked of the gateway.
/// </summary>
public interface IChargePointPresence
{
    DateTimeOffset? LastSeen(string chargePointId);
}
