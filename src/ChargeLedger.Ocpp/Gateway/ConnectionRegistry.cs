using System.Collections.Concurrent;
using ChargeLedger.ChargePoints;

namespace ChargeLedger.Ocpp.Gateway;

/// <summary>The charge point connections this node holds, one per charge point id.</summary>
public sealed class ConnectionRegistry : IChargePointPresence
{
    private readonly ConcurrentDictionary<string, ChargePointConnection> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    /// <summary>Makes <paramref name="connection"/> the charge point's connection and returns the one it replaces, if any.</summary>
    public ChargePointConnection? Register(ChargePointConnection connection)
    {
        ChargePointConnection? previous = null;
        _connections.AddOrUpdate(connection.ChargePointId, connection, (_, existing) =>
        {
            previous = existing;
            return connection;
        });
        return previous;
    }

    /// <summary>Removes the connection only if it is still the registered one (a replaced connection leaves its successor alone).</summary>
    public bool Unregister(ChargePointConnection connection) =>
        _connections.TryRemove(new KeyValuePair<string, ChargePointConnection>(connection.ChargePointId, connection));

    public bool IsCurrent(ChargePointConnection connection) =>
        _connections.TryGetValue(connection.ChargePointId, out var current) && ReferenceEquals(current, connection);

    /// <summary>The registered connections, enumerated without a snapshot (a connection may come or go meanwhile).</summary>
    public IEnumerable<ChargePointConnection> Connections => _connections.Select(c => c.Value);

    public ChargePointConnection? Find(string chargePointId) => _connections.GetValueOrDefault(chargePointId);

    public DateTimeOffset? LastSeen(string chargePointId) => Find(chargePointId)?.LastSeenAt;
}
