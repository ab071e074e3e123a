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
