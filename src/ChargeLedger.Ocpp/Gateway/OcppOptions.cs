namespace ChargeLedger.Ocpp.Gateway;

/// <summary>ChargeLedger:Ocpp configuration (CONTRACT.md "Starting it").</summary>
public sealed class OcppOptions
{
    public const string Section = "ChargeLedger:Ocpp";

    /// <summary>Sent in BootNotification.conf.</summary>
    public int HeartbeatIntervalSeconds { get; set; } = 300;

    /// <summary>Timeout of our own calls to charge points.</summary>
    public int CallTimeoutSeconds { get; set; } = 30;

    /// <summary>Largest inbound message; a bigger one closes the socket with 1009 (RELIABILITY B5).</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Bad frames in a row before the socket is closed with 1002 (RELIABILITY B1).</summary>
    public int MaxConsecutiveBadFrames { get; set; } = 10;

    /// <summary>CALLs a charge point may have queued before the gateway stops reading its socket (back-pressure).</summary>
    public int MaxQueuedCalls { get; set; } = 32;

    /// <summary>
    /// A socket with no inbound message for this long is closed. 0 means twice the heartbeat interval plus a minute,
    /// so a charge point that keeps to its heartbeat is never cut off.
    /// </summary>
    public int IdleTimeoutSeconds { get; set; }

    /// <summary>Longest wait for a free core to check a password (PBKDF2) during a reconnect storm; then 503 Retry-After.</summary>
    public int AuthenticationWaitSeconds { get; set; } = 30;

    /// <summary>WebSocket ping interval (RFC 6455 keep-alive), independent of OCPP heartbeats.</summary>
    public int PingIntervalSeconds { get; set; } = 60;

    /// <summary>An open socket with nothing inbound for this long has gone silent (issue 3): twice the heartbeat interval.</summary>
    public TimeSpan SilenceThreshold => TimeSpan.FromSeconds(2 * HeartbeatIntervalSeconds);

    /// <summary>How often the silence watchdog looks: a tenth of the heartbeat interval, between 1 and 30 seconds.</summary>
    public TimeSpan SilenceScanInterval => TimeSpan.FromSeconds(Math.Clamp(HeartbeatIntervalSeconds / 10, 1, 30));

    public TimeSpan IdleTimeout => TimeSpan.FromSeconds(IdleTimeoutSeconds > 0 ? IdleTimeoutSeconds : (2 * HeartbeatIntervalSeconds) + 60);
}
