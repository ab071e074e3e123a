namespace ChargeLedger.Mqtt;

/// <summary>ChargeLedger:Mqtt configuration (CONTRACT.md "MQTT").</summary>
public sealed class MqttOptions
{
    public const string Section = "ChargeLedger:Mqtt";

    /// <summary>Runs the embedded broker; independent of <see cref="ExternalBroker"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Plain MQTT listener; 0 lets the OS pick a free port (read it from <see cref="Broker.MqttBrokerEndpoints"/>).</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Address both listeners bind to; loopback unless the gateways are elsewhere.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Largest telemetry payload recorded; a larger one is dead-lettered (and acknowledged, so a gateway does not resend
    /// it forever). MQTT 5 clients are also told in CONNACK (Maximum Packet Size, [MQTT-3.2.2-15]).
    /// </summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    /// <summary>TLS listener port; the listener runs only when this and <see cref="CertificatePath"/> are set (0 = a free port).</summary>
    public int? TlsPort { get; set; }

    /// <summary>PFX (PKCS#12) file with the server certificate and its private key.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    public ExternalBrokerOptions ExternalBroker { get; set; } = new();

    public OcppBridgeOptions OcppBridge { get; set; } = new();

    internal bool TlsConfigured => TlsPort is not null && !string.IsNullOrWhiteSpace(CertificatePath);
}

/// <summary>ChargeLedger:Mqtt:ExternalBroker: consume telemetry from Mosquitto/EMQX instead of (or besides) the embedded broker.</summary>
public sealed class ExternalBrokerOptions
{
    /// <summary>Set to connect; empty means no external broker.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 1883;

    public bool UseTls { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Must be stable across restarts: the broker keeps the persistent session (and the unacknowledged messages) under it.</summary>
    public string ClientId { get; set; } = "chargeledger-telemetry";

    public IList<string> Topics { get; set; } = [];

    /// <summary>When set, every filter becomes <c>$share/{SharedGroup}/{filter}</c> so several nodes split the stream.</summary>
    public string? SharedGroup { get; set; }

    /// <summary>How long the broker keeps our session (and queues QoS 1 messages) while we are away.</summary>
    public int SessionExpirySeconds { get; set; } = 7 * 24 * 3600;

    public int ReconnectMinDelayMilliseconds { get; set; } = 1000;

    public int ReconnectMaxDelayMilliseconds { get; set; } = 30_000;

    internal bool Configured => !string.IsNullOrWhiteSpace(Host);

    /// <summary>Configuration binding appends to a list default, so the default filter is applied here instead.</summary>
    internal IReadOnlyList<string> Filters =>
        [.. (Topics.Count == 0 ? ["/neuron/#"] : Topics).Select(f => string.IsNullOrWhiteSpace(SharedGroup) ? f : $"$share/{SharedGroup}/{f}")];
}

/// <summary>
/// ChargeLedger:Mqtt:OcppBridge: charge points behind EMQX's OCPP gateway (DESIGN.md "EMQX OCPP gateway compatibility"),
/// consumed from <see cref="MqttOptions.ExternalBroker"/> under a client id of its own.
/// </summary>
public sealed class OcppBridgeOptions
{
    public bool Enabled { get; set; }

    /// <summary>Must be stable across restarts and differ per node: the broker keeps the persistent session under it.</summary>
    public string ClientId { get; set; } = "chargeledger-ocpp";

    /// <summary>EMQX's gateway mountpoint: CALLs on <c>{Mountpoint}cp/{id}</c>, replies on <c>…/Reply</c>, ours to <c>{Mountpoint}cs/{id}</c>.</summary>
    public string Mountpoint { get; set; } = "ocpp/";

    /// <summary>
    /// Where EMQX reports the gateway's clients coming and going; the last two levels are the charge point id and
    /// connected|disconnected.
    /// </summary>
    public string ConnectivityTopic { get; set; } = "$SYS/brokers/+/gateway/ocpp/clients/+/+";

    /// <summary>
    /// When set, the nodes split the charge points' CALLs through <c>$share/{SharedGroup}/…</c>. Replies and
    /// connectivity are never shared: every node hears them and takes its own (see ops/cluster.md).
    /// </summary>
    public string? SharedGroup { get; set; }

    internal bool Shared => !string.IsNullOrWhiteSpace(SharedGroup);

    internal string CallFilter => Shared ? $"$share/{SharedGroup}/{Mountpoint}cp/+" : $"{Mountpoint}cp/+";

    internal string ReplyFilter => $"{Mountpoint}cp/+/Reply";

    internal string DownlinkTopic(string chargePointId) => $"{Mountpoint}cs/{chargePointId}";
}
