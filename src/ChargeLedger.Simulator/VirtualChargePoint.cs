using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ChargeLedger.Simulator;

/// <summary>Id tags shared by all virtual charge points; a tag charges at one connector at a time.</summary>
public sealed class IdTagPool(IEnumerable<string> idTags)
{
    private readonly List<string> _free = [.. idTags];

    public string? TryLease(Random rng)
    {
        lock (_free)
        {
            if (_free.Count == 0)
            {
                return null;
            }

            var index = rng.Next(_free.Count);
            var idTag = _free[index];
            _free.RemoveAt(index);
            return idTag;
        }
    }

    /// <summary>Takes a specific tag (a remote start names its own) so no other connector leases it meanwhile.</summary>
    public bool TryTake(string idTag)
    {
        lock (_free)
        {
            return _free.Remove(idTag);
        }
    }

    public void Release(string idTag)
    {
        lock (_free)
        {
            _free.Add(idTag);
        }
    }
}

/// <summary>An OCPP 1.6J charge point with two connectors that boots, heartbeats and charges cars.</summary>
public sealed class VirtualChargePoint(ChargePointCredentials credentials, Uri ocppBaseUri, IdTagPool idTags, Random rng)
{
    private static readonly TimeSpan MaxHeartbeatInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MeterSampleInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);
    private static readonly double[] ChargerPowersW = [7_400, 11_000, 22_000];

    private readonly Connector[] _connectors = [new(1, rng.Next(50_000, 5_000_000)), new(2, rng.Next(50_000, 5_000_000))];
    private TimeSpan _heartbeatInterval = MaxHeartbeatInterval;
    private OcppConnection? _connection;

    public string Id => credentials.Id;

    public async Task RunAsync(CancellationToken ct)
    {
        var endpoint = new Uri(ocppBaseUri, Uri.EscapeDataString(Id));
        var backoff = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            OcppConnection connection;
            try
            {
                connection = await OcppConnection.ConnectAsync(endpoint, Id, credentials.Password, HandleServerCall, Log, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                Log($"connect to {endpoint} failed: {ex.Message}; retrying in {backoff.TotalSeconds:0}s");
                await DelayQuietlyAsync(Jittered(backoff), ct);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await using (connection)
            {
                _connection = connection;
                Log("connected");
                var booted = await RunConnectedAsync(connection, ct);
                if (ct.IsCancellationRequested && connection.IsOpen)
                {
                    await ShutdownAsync(connection);
                }

                _connection = null;
                // A central system that drops us before the boot is accepted gets the same backoff as a refused connect.
                backoff = booted ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }

            if (!ct.IsCancellationRequested)
            {
                await DelayQuietlyAsync(Jittered(backoff), ct);
            }
        }
    }

    /// <summary>Boots and runs until the connection drops or <paramref name="ct"/> fires; true once the boot was accepted.</summary>
    private async Task<bool> RunConnectedAsync(OcppConnection connection, CancellationToken ct)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loops = new List<Task>();
        var booted = false;
        try
        {
            await BootAsync(connection, ct);
            booted = true;
            await SendStatusAsync(connection, 0, "Available", ct);
            foreach (var connector in _connectors)
            {
                await SendStatusAsync(connection, connector, connector.Status, ct);
            }

            loops.Add(HeartbeatLoopAsync(connection, session.Token));
            loops.AddRange(_connectors.Select(connector => ConnectorLoopAsync(connection, connector, session.Token)));
            await connection.WaitForCloseAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is WebSocketException or OcppCallErrorException or TimeoutException)
        {
            Log($"session ended: {ex.Message}");
            using var timeout = new CancellationTokenSource(ShutdownTimeout);
            await connection.CloseAsync(timeout.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
        finally
        {
            await session.CancelAsync();
            await Task.WhenAll(loops).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        return booted;
    }

    private async Task BootAsync(OcppConnection connection, CancellationToken ct)
    {
        while (true)
        {
            var conf = await connection.CallAsync("BootNotification", new
            {
                chargePointVendor = "ChargeLedger",
                chargePointModel = "SimCharger 22",
                chargePointSerialNumber = $"SN-{Id}",
                firmwareVersion = "1.6.3-sim",
                meterType = "SimMeter AC3",
                meterSerialNumber = $"M-{Id}",
            }, ct);
            var status = conf.GetProperty("status").GetString();
            var interval = TimeSpan.FromSeconds(conf.GetProperty("interval").GetInt32());
            if (status == "Accepted")
            {
                _heartbeatInterval = interval > TimeSpan.Zero && interval < MaxHeartbeatInterval ? interval : MaxHeartbeatInterval;
                Log($"boot accepted, heartbeat every {_heartbeatInterval.TotalSeconds:0}s");
                return;
            }

            // OCPP 1.6 §4.2: while Pending or Rejected, send nothing else and retry the boot after `interval`.
            var retry = interval > TimeSpan.Zero ? interval : TimeSpan.FromSeconds(10);
            Log($"boot {status}, retrying in {retry.TotalSeconds:0}s");
            await Task.Delay(retry, ct);
        }
    }

    private async Task HeartbeatLoopAsync(OcppConnection connection, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_heartbeatInterval, ct);
                await connection.CallAsync("Heartbeat", new { }, ct);
            }
            catch (Exception ex) when (ex is OcppCallErrorException or TimeoutException)
            {
                Log(ex.Message);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Each pass performs the next step of the connector's state machine, so a step interrupted by a lost connection
    /// is simply repeated after the reconnect (a repeated StartTransaction or StopTransaction must be idempotent on the server).
    /// </summary>
    private async Task ConnectorLoopAsync(OcppConnection connection, Connector connector, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await (connector.Session switch
                {
                    null => IdleThenPrepareAsync(connection, connector, ct),
                    { TransactionId: null } => StartTransactionAsync(connection, connector, ct),
                    { StopReason: null } => ChargeAsync(connection, connector, ct),
                    _ => StopTransactionAsync(connection, connector, ct),
                });
            }
            catch (Exception ex) when (ex is OcppCallErrorException or TimeoutException)
            {
                Log($"connector {connector.Id}: {ex.Message}; retrying in {RetryDelay.TotalSeconds:0}s");
                await DelayQuietlyAsync(RetryDelay, ct);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                return;
            }
        }
    }

    private async Task IdleThenPrepareAsync(OcppConnection connection, Connector connector, CancellationToken ct)
    {
        if (connector.Status != "Available")
        {
            await SendStatusAsync(connection, connector, "Available", ct);
        }

        // The first session of connector 1 starts within seconds, so the ledger fills while someone is watching.
        var idle = connector.IsFirstIdle
            ? connector.Id == 1 ? Seconds(2, 8) : Seconds(20, 90)
            : Seconds(15, 60);
        connector.IsFirstIdle = false;
        if (connector.RemoteStartIdTag is null)
        {
            await NapAsync(connector, idle, ct);
        }

        var remoteIdTag = Interlocked.Exchange(ref connector.RemoteStartIdTag, null);
        if (remoteIdTag is null && Chance(0.04))
        {
            await FaultAsync(connection, connector, ct);
            return;
        }

        var isPooled = remoteIdTag is null || idTags.TryTake(remoteIdTag);
        var idTag = remoteIdTag ?? idTags.TryLease(rng);
        if (idTag is null)
        {
            return;
        }

        await SendStatusAsync(connection, connector, "Preparing", ct);
        // A remote start is already authorised by the central system (AuthorizeRemoteTxRequests = false, OCPP 1.6 §5.11).
        if (remoteIdTag is null)
        {
            var conf = await connection.CallAsync("Authorize", new { idTag }, ct);
            var status = conf.GetProperty("idTagInfo").GetProperty("status").GetString();
            if (status != "Accepted")
            {
                Log($"connector {connector.Id}: idTag {idTag} not authorised ({status})");
                if (isPooled)
                {
                    idTags.Release(idTag);
                }

                await SendStatusAsync(connection, connector, "Available", ct);
                return;
            }
        }

        var now = DateTimeOffset.UtcNow;
        connector.Session = new Session
        {
            IdTag = idTag,
            IsPooledIdTag = isPooled,
            MeterStartWh = connector.MeterWh,
            StartedAt = now,
            EndsAt = now + Seconds(20, 90),
            RatedPowerW = ChargerPowersW[Next(ChargerPowersW.Length)] * Between(0.95, 1.0),
            BatteryWh = Between(40_000, 100_000),
            StartSocPercent = Between(10, 70),
            LastSampleAt = now,
        };
    }

    private async Task StartTransactionAsync(OcppConnection connection, Connector connector, CancellationToken ct)
    {
        var session = connector.Session!;
        var conf = await connection.CallAsync("StartTransaction", new
        {
            connectorId = connector.Id,
            idTag = session.IdTag,
            meterStart = session.MeterStartWh,
            timestamp = Timestamp(session.StartedAt),
        }, ct);
        session.TransactionId = conf.GetProperty("transactionId").GetInt32();
        var status = conf.GetProperty("idTagInfo").GetProperty("status").GetString();
        if (status != "Accepted")
        {
            // OCPP 1.6 §4.8 with StopTransactionOnInvalidId = true: a start the central system refuses ends at once.
            Log($"connector {connector.Id}: tx {session.TransactionId} not accepted ({status}), stopping");
            session.StopReason = "DeAuthorized";
            return;
        }

        Log($"tx started id={session.TransactionId} connector={connector.Id} idTag={session.IdTag} meterStart={session.MeterStartWh}Wh power={session.RatedPowerW / 1000:0.0}kW");
        await SendStatusAsync(connection, connector, "Charging", ct);
    }

    private async Task ChargeAsync(OcppConnection connection, Connector connector, CancellationToken ct)
    {
        var session = connector.Session!;
        await NapAsync(connector, MeterSampleInterval, ct);
        if (session.StopReason is not null)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        Advance(connector, session, now);
        if (connector.Status == "SuspendedEV" && now >= session.SuspendedUntil)
        {
            await SendStatusAsync(connection, connector, "Charging", ct);
        }
        else if (connector.Status == "Charging" && Chance(0.04))
        {
            session.SuspendedUntil = now + Seconds(10, 25);
            Log($"connector {connector.Id}: EV paused charging");
            await SendStatusAsync(connection, connector, "SuspendedEV", ct);
        }

        await connection.CallAsync("MeterValues", new
        {
            connectorId = connector.Id,
            transactionId = session.TransactionId,
            meterValue = new[] { MeterValue(connector, session, now, "Sample.Periodic") },
        }, ct);

        if (now >= session.EndsAt || session.SocPercent(connector) >= 100)
        {
            session.StopReason = Chance(0.7) ? "EVDisconnected" : "Local";
        }
    }

    private async Task StopTransactionAsync(OcppConnection connection, Connector connector, CancellationToken ct)
    {
        var session = connector.Session!;
        if (session.StoppedAt is null)
        {
            var now = DateTimeOffset.UtcNow;
            Advance(connector, session, now);
            session.StoppedAt = now;
        }

        var meterStopWh = connector.MeterWh;
        await connection.CallAsync("StopTransaction", new
        {
            transactionId = session.TransactionId,
            idTag = session.IdTag,
            meterStop = meterStopWh,
            timestamp = Timestamp(session.StoppedAt.Value),
            reason = session.StopReason,
        }, ct);
        Log($"tx stopped id={session.TransactionId} connector={connector.Id} Wh={meterStopWh - session.MeterStartWh} reason={session.StopReason}");
        connector.Session = null;
        if (session.IsPooledIdTag)
        {
            idTags.Release(session.IdTag);
        }

        await SendStatusAsync(connection, connector, "Finishing", ct);
        await SendStatusAsync(connection, connector, "Available", ct);
    }

    private async Task FaultAsync(OcppConnection connection, Connector connector, CancellationToken ct)
    {
        Log($"connector {connector.Id}: faulted (GroundFailure)");
        await SendStatusAsync(connection, connector, "Faulted", ct, errorCode: "GroundFailure", info: "Residual current detected");
        await NapAsync(connector, Seconds(10, 30), ct);
        await SendStatusAsync(connection, connector, "Available", ct);
        Log($"connector {connector.Id}: fault cleared");
    }

    /// <summary>Ends running transactions before the socket closes, so the ledger holds no open sessions from a demo.</summary>
    private async Task ShutdownAsync(OcppConnection connection)
    {
        using var timeout = new CancellationTokenSource(ShutdownTimeout);
        try
        {
            foreach (var connector in _connectors.Where(c => c.Session is { TransactionId: not null }))
            {
                connector.Session!.StopReason ??= "Local";
                await StopTransactionAsync(connection, connector, timeout.Token);
            }

            await connection.CloseAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            Log($"shutdown incomplete: {ex.Message}");
        }
    }

    private ServerCallReply HandleServerCall(string action, JsonElement payload) => action switch
    {
        "Reset" or "ChangeAvailability" or "ChangeConfiguration" or "ClearCache" => Reply("Accepted"),
        "UnlockConnector" => Reply("Unlocked"),
        "RemoteStartTransaction" => RemoteStart(payload),
        "RemoteStopTransaction" => RemoteStop(payload),
        "TriggerMessage" => Trigger(payload),
        "GetConfiguration" => new ServerCallReply(GetConfiguration(payload)),
        "DataTransfer" => Reply("UnknownVendorId"),
        _ => new ServerCallReply(null),
    };

    private ServerCallReply RemoteStart(JsonElement payload)
    {
        var idTag = payload.GetProperty("idTag").GetString()!;
        var connector = payload.TryGetProperty("connectorId", out var id)
            ? _connectors.FirstOrDefault(c => c.Id == id.GetInt32())
            : _connectors.FirstOrDefault(c => c.Session is null && c.Status == "Available");
        if (connector is null || connector.Session is not null
            || Interlocked.CompareExchange(ref connector.RemoteStartIdTag, idTag, null) is not null)
        {
            return Reply("Rejected");
        }

        connector.Wake();
        return Reply("Accepted");
    }

    private ServerCallReply RemoteStop(JsonElement payload)
    {
        var transactionId = payload.GetProperty("transactionId").GetInt32();
        var connector = _connectors.FirstOrDefault(c => c.Session?.TransactionId == transactionId);
        if (connector?.Session is not { } session)
        {
            return Reply("Rejected");
        }

        session.StopReason ??= "Remote";
        connector.Wake();
        return Reply("Accepted");
    }

    // OCPP 1.6 §5.17: the requested message follows the TriggerMessage.conf; what we cannot send is NotImplemented.
    private ServerCallReply Trigger(JsonElement payload)
    {
        var connectorId = payload.TryGetProperty("connectorId", out var id) ? id.GetInt32() : (int?)null;
        return payload.GetProperty("requestedMessage").GetString() switch
        {
            "Heartbeat" => Reply("Accepted", connection => connection.CallAsync("Heartbeat", new { }, CancellationToken.None)),
            "StatusNotification" => Reply("Accepted", async connection =>
            {
                foreach (var connector in _connectors.Where(c => connectorId is null || c.Id == connectorId))
                {
                    await SendStatusAsync(connection, connector, connector.Status, CancellationToken.None);
                }
            }),
            "MeterValues" => Reply("Accepted", async connection =>
            {
                foreach (var connector in _connectors.Where(c => connectorId is null || c.Id == connectorId))
                {
                    var session = connector.Session;
                    await connection.CallAsync("MeterValues", new
                    {
                        connectorId = connector.Id,
                        transactionId = session?.TransactionId,
                        meterValue = new[] { MeterValue(connector, session, DateTimeOffset.UtcNow, "Trigger") },
                    }, CancellationToken.None);
                }
            }),
            _ => Reply("NotImplemented"),
        };
    }

    private JsonObject GetConfiguration(JsonElement payload)
    {
        var known = new Dictionary<string, (bool ReadOnly, string Value)>
        {
            ["HeartbeatInterval"] = (false, _heartbeatInterval.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)),
            ["MeterValueSampleInterval"] = (false, MeterSampleInterval.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)),
            ["MeterValuesSampledData"] = (false, "Energy.Active.Import.Register,Power.Active.Import,SoC"),
            ["NumberOfConnectors"] = (true, "2"),
            ["AuthorizeRemoteTxRequests"] = (false, "false"),
            ["StopTransactionOnInvalidId"] = (true, "true"),
        };
        var requested = payload.TryGetProperty("key", out var keys) && keys.GetArrayLength() > 0
            ? keys.EnumerateArray().Select(k => k.GetString()!).ToList()
            : [.. known.Keys];
        var result = new JsonObject
        {
            ["configurationKey"] = new JsonArray([.. requested.Where(known.ContainsKey).Select(key => (JsonNode)new JsonObject
            {
                ["key"] = key,
                ["readonly"] = known[key].ReadOnly,
                ["value"] = known[key].Value,
            })]),
        };
        var unknown = requested.Where(key => !known.ContainsKey(key)).ToList();
        if (unknown.Count > 0)
        {
            result["unknownKey"] = new JsonArray([.. unknown.Select(key => (JsonNode)key)]);
        }

        return result;
    }

    private ServerCallReply Reply(string status, Func<OcppConnection, Task>? then = null) =>
        new(new JsonObject { ["status"] = status }, then is null ? null : () => RunFollowUpAsync(then));

    private async Task RunFollowUpAsync(Func<OcppConnection, Task> followUp)
    {
        if (_connection is not { IsOpen: true } connection)
        {
            return;
        }

        try
        {
            await followUp(connection);
        }
        catch (Exception ex)
        {
            Log($"triggered message failed: {ex.Message}");
        }
    }

    private static Task SendStatusAsync(OcppConnection connection, int connectorId, string status, CancellationToken ct,
        string errorCode = "NoError", string? info = null) =>
        connection.CallAsync("StatusNotification", new
        {
            connectorId,
            errorCode,
            info,
            status,
            timestamp = Timestamp(DateTimeOffset.UtcNow),
        }, ct);

    private static Task SendStatusAsync(OcppConnection connection, Connector connector, string status, CancellationToken ct,
        string errorCode = "NoError", string? info = null)
    {
        connector.Status = status;
        return SendStatusAsync(connection, connector.Id, status, ct, errorCode, info);
    }

    private void Advance(Connector connector, Session session, DateTimeOffset now)
    {
        var suspended = now < session.SuspendedUntil;
        // AC charging tapers once the battery is nearly full.
        var taper = Math.Clamp((100 - session.SocPercent(connector)) / 20, 0.1, 1.0);
        session.PowerW = suspended ? 0 : session.RatedPowerW * taper * Between(0.97, 1.0);
        connector.RegisterWh += session.PowerW * (now - session.LastSampleAt).TotalHours;
        session.LastSampleAt = now;
    }

    // Measurand, location and unit names as OCPP 1.6 §7 (SampledValue) spells them.
    private static object MeterValue(Connector connector, Session? session, DateTimeOffset now, string context) => new
    {
        timestamp = Timestamp(now),
        sampledValue = session is null
            ? new[] { Sample(connector.MeterWh.ToString(CultureInfo.InvariantCulture), context, "Energy.Active.Import.Register", "Outlet", "Wh") }
            :
            [
                Sample(connector.MeterWh.ToString(CultureInfo.InvariantCulture), context, "Energy.Active.Import.Register", "Outlet", "Wh"),
                Sample(session.PowerW.ToString("0", CultureInfo.InvariantCulture), context, "Power.Active.Import", "Outlet", "W"),
                Sample(session.SocPercent(connector).ToString("0", CultureInfo.InvariantCulture), context, "SoC", "EV", "Percent"),
            ],
    };

    private static object Sample(string value, string context, string measurand, string location, string unit) =>
        new { value, context, format = "Raw", measurand, location, unit };

    private static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static async Task NapAsync(Connector connector, TimeSpan duration, CancellationToken ct)
    {
        using var nap = CancellationTokenSource.CreateLinkedTokenSource(ct);
        nap.CancelAfter(duration);
        try
        {
            await connector.WakeSignal.Reader.ReadAsync(nap.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    private static async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    // System.Random is not thread-safe; connector loops and server calls share this one.
    private int Next(int maxExclusive)
    {
        lock (rng)
        {
            return rng.Next(maxExclusive);
        }
    }

    private double Between(double min, double max)
    {
        lock (rng)
        {
            return min + (rng.NextDouble() * (max - min));
        }
    }

    private bool Chance(double probability) => Between(0, 1) < probability;

    private TimeSpan Seconds(int min, int max) => TimeSpan.FromSeconds(Between(min, max));

    private TimeSpan Jittered(TimeSpan delay) => delay * Between(0.8, 1.2);

    private void Log(string message) =>
        Console.WriteLine($"{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {Id,-14} {message}");

    private sealed class Connector(int id, double registerWh)
    {
        public readonly Channel<bool> WakeSignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        public string? RemoteStartIdTag;

        public int Id { get; } = id;

        /// <summary>The energy register; it only ever rises, across transactions.</summary>
        public double RegisterWh { get; set; } = registerWh;

        public int MeterWh => (int)RegisterWh;

        public volatile string Status = "Available";
        public volatile Session? Session;
        public bool IsFirstIdle = true;

        public void Wake() => WakeSignal.Writer.TryWrite(true);
    }

    private sealed class Session
    {
        public required string IdTag { get; init; }
        public required bool IsPooledIdTag { get; init; }
        public required int MeterStartWh { get; init; }
        public required DateTimeOffset StartedAt { get; init; }
        public required DateTimeOffset EndsAt { get; init; }
        public required double RatedPowerW { get; init; }
        public required double BatteryWh { get; init; }
        public required double StartSocPercent { get; init; }
        public required DateTimeOffset LastSampleAt { get; set; }
        public double PowerW { get; set; }
        public DateTimeOffset SuspendedUntil { get; set; }
        public int? TransactionId { get; set; }
        public volatile string? StopReason;
        public DateTimeOffset? StoppedAt { get; set; }

        public double SocPercent(Connector connector) =>
            Math.Min(100, StartSocPercent + ((connector.RegisterWh - MeterStartWh) / BatteryWh * 100));
    }
}
