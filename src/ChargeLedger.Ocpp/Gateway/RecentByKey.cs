namespace ChargeLedger.Ocpp.Gateway;

/// <summary>
/// The last <c>capacity</c> values by message id, oldest forgotten first; thread-safe, and allocating nothing until the
/// first value, since most connections never need it (idle connections are what a node holds by the ten thousand).
/// </summary>
internal sealed class RecentByKey<TValue>(int capacity)
{
    private readonly Lock _lock = new();
    private Dictionary<string, TValue>? _values;
    private Queue<string>? _order;

    /// <summary>Adds the value unless the key is already there.</summary>
    public void Add(string key, TValue value)
    {
        lock (_lock)
        {
            _values ??= new Dictionary<string, TValue>(StringComparer.Ordinal);
            _order ??= new Queue<string>();
            if (!_values.TryAdd(key, value))
            {
                return;
            }

            _order.Enqueue(key);
            while (_order.Count > capacity)
            {
                _values.Remove(_order.Dequeue());
            }
        }
    }

    public bool TryGet(string key, out TValue value)
    {
        lock (_lock)
        {
            value = default!;
            return _values is not null && _values.TryGetValue(key, out value!);
        }
    }

    /// <summary>Takes the value out (it stays in the eviction order, where removing a missing key later is harmless).</summary>
    public bool TryTake(string key, out TValue value)
    {
        lock (_lock)
        {
            value = default!;
            return _values is not null && _values.Remove(key, out value!);
        }
    }
}
