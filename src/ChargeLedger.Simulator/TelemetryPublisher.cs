using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace ChargeLedger.Simulator;

/// <summary>What the telemetry mode does (see the usage text in Program.cs).</summary>
public sealed record TelemetryOptions(
    string Host,
    int Port,
    int Gateways,
    int TagsPerMessage,
    double Rate,
    TimeSpan Duration,
    string PasswordSeed,
    int MetersPerGateway,
    int Window,
    bool Provision,
    Uri Url,
    string ApiKey,
    string StationId,
    int? Seed)
{
    public static string GatewayId(int index) => string.Create(CultureInfo.InvariantCulture, $"SIM-GW-{index:000}");

    public static string TopicPrefix(string gatewayId) => $"/neuron/{gatewayId}";

    /// <summary>Derived from the seed and the id, so the provisioning run and every later run agree without storing passwords.</summary>
    public string PasswordFor(string gatewayId)
    {
        var digest = HMACSHA256.HashData(Encoding.UTF8.GetBytes(PasswordSeed), Encoding.UTF8.GetBytes("chargeledger-gateway:" + gatewayId));
        return Convert.ToBase64String(digest.AsSpan(0, 18)).Replace('+', 'x').Replace('/', 'y');
    }
}

public sealed record TelemetryReport(
    int Gateways,
    int TagsPerMessage,
    double TargetRate,
    double DurationSeconds,
    long Messages,
    long Values,
    double MessagesPerSecond,
    double ValuesPerSecond,
    double LatencyP50Ms,
    double LatencyP95Ms,
    double LatencyP99Ms,
    double LatencyMaxMs,
    long Failures,
    string? FirstFailure)
{
    public string Markdown() => string.Create(CultureInfo.InvariantCulture,
        $"| {Gateways} gateways × {TagsPerMessage} tags @ {TargetRate:0} msg/s, {DurationSeconds:0.0} s | {Messages} msgs | {Values} values | {ValuesPerSecond:0} values/s | p50 {LatencyP50Ms:0.0} ms | p95 {LatencyP95Ms:0.0} ms | p99 {LatencyP99Ms:0.0} ms | max {LatencyMaxMs:0.0} ms | {Failures} failures |");
}

/// <summary>
/// N virtual Neuron gateways publishing values-format telemetry at QoS 1, a bounded window of publishes in flight per
/// gateway. Publish→PUBACK latency is end-to-end into the store: ChargeLedger acknowledges only after the commit.
/// </summary>
public sealed class TelemetryPublisher(TelemetryOptions options, Action<string> log)
{
    private static readonly string[] ExtraTags = ["power_w", "voltage_v", "current_a", "temp_c", "frequency_hz", "power_factor"];

    public async Task<TelemetryReport> RunAsync(CancellationToken ct)
    {
        var factory = new MqttClientFactory();
        var clients = new List<IMqttClient>();
        try
        {
            for (var i = 1; i <= options.Gateways; i++)
            {
                var id = TelemetryOptions.GatewayId(i);
                var client = factory.CreateMqttClient();
                var connectOptions = new MqttClientOptionsBuilder()
                    .WithTcpServer(options.Host, options.Port)
                    .WithProtocolVersion(MqttProtocolVersion.V500)
                    .WithClientId(id)
                    .WithCredentials(id, options.PasswordFor(id))
                    .WithTimeout(TimeSpan.FromSeconds(10))
                    .Build();
                var result = await client.ConnectAsync(connectOptions, ct);
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    client.Dispose();
                    throw new InvalidOperationException($"{id} was refused: {result.ResultCode} {result.ReasonString}".TrimEnd());
                }

                clients.Add(client);
            }

            log($"{clients.Count} gateways connected to {options.Host}:{options.Port}; publishing {options.Rate:0} msg/s for {options.Duration.TotalSeconds:0} s");
            var seeds = options.Seed is { } seed ? new Random(seed) : new Random();
            var gateways = clients.Select((client, index) => new VirtualGateway(client, TelemetryOptions.GatewayId(index + 1), options,
                new Random(seeds.Next()))).ToList();
            var started = Stopwatch.GetTimestamp();
            // Each gateway carries an equal share of the rate, offset so that they do not all publish in the same tick.
            var interval = TimeSpan.FromSeconds(options.Gateways / options.Rate);
            await Task.WhenAll(gateways.Select((gateway, index) =>
                gateway.RunAsync(started, interval, interval * index / options.Gateways, options.Duration, ct)));
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;

            var latencies = gateways.SelectMany(g => g.LatenciesMs).Order().ToArray();
            var messages = latencies.LongLength;
            var values = messages * options.TagsPerMessage;
            return new TelemetryReport(options.Gateways, options.TagsPerMessage, options.Rate, Math.Round(elapsed, 2), messages, values,
                Math.Round(messages / elapsed, 1), Math.Round(values / elapsed, 1),
                Percentile(latencies, 0.50), Percentile(latencies, 0.95), Percentile(latencies, 0.99), latencies.Length == 0 ? 0 : Math.Round(latencies[^1], 2),
                gateways.Sum(g => g.Failures), gateways.Select(g => g.FirstFailure).FirstOrDefault(f => f is not null));
        }
        finally
        {
            foreach (var client in clients)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token);
                }
                catch (Exception)
                {
                    // Leaving anyway.
                }

                client.Dispose();
            }
        }
    }

    private static readonly JsonSerializerOptions ReportJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string Json(TelemetryReport report) => JsonSerializer.Serialize(report, ReportJson);

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)], 2);

    private sealed class VirtualGateway(IMqttClient client, string id, TelemetryOptions options, Random random)
    {
        private readonly string _topic = TelemetryOptions.TopicPrefix(id) + "/modbus/grp";
        private readonly Meter[] _meters = [.. Enumerable.Range(1, options.MetersPerGateway).Select(k => new Meter($"meter-{k}", random))];
        private readonly List<double> _latencies = [];
        private long _failures;

        public IReadOnlyList<double> LatenciesMs => _latencies;

        public long Failures => Interlocked.Read(ref _failures);

        public string? FirstFailure { get; private set; }

        public async Task RunAsync(long started, TimeSpan interval, TimeSpan offset, TimeSpan duration, CancellationToken ct)
        {
            using var window = new SemaphoreSlim(options.Window);
            var inFlight = new List<Task>();
            for (var n = 0L; ; n++)
            {
                var due = offset + (interval * n);
                if (due >= duration || ct.IsCancellationRequested)
                {
                    break;
                }

                var wait = due - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct);
                }

                // A full window means the server is slower than the offered rate: the schedule slips, nothing piles up.
                await window.WaitAsync(ct);
                var meter = _meters[n % _meters.Length];
                inFlight.Add(PublishAsync(meter.Next(options.TagsPerMessage, random), window));
                inFlight.RemoveAll(t => t.IsCompleted);
            }

            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await Task.WhenAll(inFlight).WaitAsync(drain.Token);
        }

        private async Task PublishAsync(byte[] payload, SemaphoreSlim window)
        {
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(_topic)
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var result = await client.PublishAsync(message, timeout.Token);
                var latency = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                if (result.IsSuccess)
                {
                    lock (_latencies)
                    {
                        _latencies.Add(latency);
                    }
                }
                else
                {
                    Fail($"{id}: PUBACK {result.ReasonCode} {result.ReasonString}".TrimEnd());
                }
            }
            catch (Exception ex)
            {
                Fail($"{id}: {ex.GetType().Name}: {ex.Message}");
            }
            finally
            {
                window.Release();
            }
        }

        private void Fail(string why)
        {
            if (Interlocked.Increment(ref _failures) == 1)
            {
                FirstFailure = why;
            }
        }
    }

    /// <summary>One metered feeder: an import register that rises with a slowly wandering load, plus electrical and thermal readings.</summary>
    private sealed class Meter(string node, Random random)
    {
        private decimal _importWh = random.Next(1_000_000, 5_000_000);
        private double _powerW = random.Next(20_000, 150_000);
        private long _lastTimestamp;
        private long _lastTicks = Stopwatch.GetTimestamp();

        public byte[] Next(int tags, Random random)
        {
            // Strictly increasing per node: (gateway, node, group, timestamp) identifies a reading, a repeat is a duplicate.
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _lastTimestamp = Math.Max(now, _lastTimestamp + 1);
            var elapsedHours = Stopwatch.GetElapsedTime(_lastTicks).TotalHours;
            _lastTicks = Stopwatch.GetTimestamp();
            _powerW = Math.Clamp(_powerW + ((random.NextDouble() - 0.5) * 5_000), 0, 350_000);
            _importWh += Math.Round((decimal)(_powerW * elapsedHours), 1);

            var voltage = 230 + ((random.NextDouble() - 0.5) * 6);
            var json = new StringBuilder(64 + (tags * 24));
            json.Append(CultureInfo.InvariantCulture, $"{{\"timestamp\":{_lastTimestamp},\"node\":\"{node}\",\"group\":\"grp\",\"values\":{{\"import_wh\":{_importWh}");
            for (var t = 1; t < tags; t++)
            {
                var name = t <= ExtraTags.Length ? ExtraTags[t - 1] : string.Create(CultureInfo.InvariantCulture, $"aux_{t}");
                var value = name switch
                {
                    "power_w" => Math.Round(_powerW, 0),
                    "voltage_v" => Math.Round(voltage, 1),
                    "current_a" => Math.Round(_powerW / (3 * voltage), 1),
                    "temp_c" => Math.Round(35 + (_powerW / 20_000) + random.NextDouble(), 1),
                    "frequency_hz" => Math.Round(50 + ((random.NextDouble() - 0.5) * 0.1), 3),
                    "power_factor" => Math.Round(0.95 + (random.NextDouble() * 0.04), 3),
                    _ => Math.Round(random.NextDouble() * 100, 2),
                };
                json.Append(CultureInfo.InvariantCulture, $",\"{name}\":{value}");
            }

            json.Append("}}");
            return Encoding.UTF8.GetBytes(json.ToString());
        }
    }
}
