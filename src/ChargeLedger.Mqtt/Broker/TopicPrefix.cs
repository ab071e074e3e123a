namespace ChargeLedger.Mqtt.Broker;

/// <summary>
/// A gateway's topic prefix as an access rule: whole topic levels only ([MQTT-4.7.1]: '/' separates levels), so
/// "/neuron/GW-1" covers "/neuron/GW-1/modbus/grp" but not "/neuron/GW-10/modbus/grp".
/// </summary>
public static class TopicPrefix
{
    /// <summary>A PUBLISH topic strictly below the prefix. Topic names carry no wildcards [MQTT-3.3.2-2].</summary>
    public static bool Covers(string prefix, string topic) =>
        IsUsable(prefix, out var trimmed)
        && topic.Length > trimmed.Length + 1
        && topic.StartsWith(trimmed, StringComparison.Ordinal)
        && topic[trimmed.Length] == '/'
        && !topic.AsSpan(trimmed.Length).ContainsAny('+', '#');

    /// <summary>
    /// A SUBSCRIBE filter that can only match topics at or below the prefix: the prefix's levels literally (no '+' or
    /// '#' in them), wildcards only after. "#", "+/…", "$SYS/#" and "$share/…" never qualify.
    /// </summary>
    public static bool CoversFilter(string prefix, string filter) =>
        IsUsable(prefix, out var trimmed)
        && filter.StartsWith(trimmed, StringComparison.Ordinal)
        && (filter.Length == trimmed.Length || filter[trimmed.Length] == '/');

    /// <summary>An empty prefix or one with wildcards would grant more than one gateway's subtree; such a gateway gets nothing.</summary>
    private static bool IsUsable(string prefix, out string trimmed)
    {
        trimmed = prefix.TrimEnd('/');
        return trimmed.Length > 0 && !trimmed.AsSpan().ContainsAny('+', '#');
    }
}
