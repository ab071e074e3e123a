using System.Globalization;
using System.Net.Http.Headers;
using ChargeLedger.Simulator;
using ChargeLedger.Simulator.Bench;

const string Usage = """
    ChargeLedger simulator: virtual OCPP 1.6J charge points for demos and benchmarks.

    usage: dotnet run --project src/ChargeLedger.Simulator -- demo [options]

      demo                   provision a station, charge points and id tags over the HTTP API,
                             then run the charge points over OCPP-J until stopped
      --url URL              ChargeLedger host (HTTP API; OCPP at ws://.../ocpp/{id})  [http://127.0.0.1:8080]
      --api-key KEY          API key with the operator or admin role        [env CHARGELEDGER_API_KEY]
      --charge-points N      virtual charge points, two connectors each     [5]
      --station ID           station the charge points belong to            [ST-DEMO]
      --duration S           stop after S seconds of charging, 0 = run until Ctrl+C  [0]
      --seed N               seed the behaviour (sessions, powers, faults) for repeatable runs
      -h, --help             show this help

    Ctrl+C (or SIGTERM) stops running transactions with StopTransaction and closes the sockets.

    usage: dotnet run --project src/ChargeLedger.Simulator -- telemetry [options]

      telemetry              station gateways publishing Neuron values-format telemetry over MQTT at QoS 1;
                             reports publish->PUBACK latency (end-to-end into the store) as JSON and a markdown line
      --host HOST            MQTT broker (the ChargeLedger host's embedded broker)   [127.0.0.1]
      --port N               MQTT port                                               [1883]
      --gateways N           gateways SIM-GW-001..N (username = client id = gateway id,
                             topic /neuron/{id}/modbus/grp)                           [5]
      --tags-per-message T   tags per message: import_wh, then power, voltage, ...    [4]
      --meters-per-gateway M nodes meter-1..M per gateway                             [4]
      --rate R               messages per second over all gateways                   [100]
      --duration S           seconds of publishing                                   [10]
      --window W             publishes in flight per gateway                         [8]
      --password-seed SEED   gateway passwords are derived from it (required)        [env CHARGELEDGER_GATEWAY_SEED]
      --seed N               seed the readings for repeatable runs
      --provision            first register station, gateways and device maps over the HTTP API
                             (uses --url, --api-key and --station as in demo mode)

    usage: dotnet run --project src/ChargeLedger.Simulator -- bench --scenario S [options]

      bench                  load scenarios of issue 6 against a running host (ops/bench-suite.sh runs them all);
                             markdown on stdout, JSON to --json, progress on stderr; exit 1 on any error
      --scenario S           ocpp | connections | copy-baseline | provision                      [ocpp]
      --url URL              the host (OCPP at ws://.../ocpp/{id})                               [http://127.0.0.1:8080]
      --api-key KEY          admin key: provisioning, and projection lag sampled 4x/s  [env CHARGELEDGER_API_KEY]
      --password PW          the password all bench charge points share
      --passwords FILE       instead: each its own, "id TAB password" lines; provision registers without a
                             password and writes the ones the host generated there
      --prefix P, --first N  charge point ids P0001.. from number N (as ops/provision-load.sh) [LOAD-, 1]
      --charge-points N      ocpp: charge points; provision: how many to register            [10]
      --station ID, --idtag T  station and idTag of the sessions                            [ST-LOAD, TAG-0001]
      --json FILE            write the report as JSON
      --label TEXT           a name for the run, kept in the JSON
      --server-pid PID       the host: CPU (/proc/PID/stat) and RSS (VmRSS, every 0.5 s)
      --pg-pid PID           PostgreSQL's postmaster: its and its backends' CPU
      --pg CONNSTRING        Npgsql connection string of the host's database: ocpp counts the events appended
                             in the window (mt_events seq ids); copy-baseline reads and copies them
      --schema NAME          event store schema                                              [chargeledger]
      --no-lag               do not sample GET /api/admin/projections
     ocpp: Boot, Status, then sessions of Authorize, Start, K x MeterValues, Stop, Status per charge point
      --rate R               calls/s over all charge points, open loop; 0 = closed loop      [0]
      --warmup S, --duration S  seconds of load before and inside the measured window       [5, 30]
      --meter-values K       MeterValues per session                                         [10]
      --timeout S            a CALL unanswered this long is an error                        [10]
      --connect-concurrency N  handshakes in flight while connecting                         [64]
     connections: connect N with Basic auth at a rate, hold them with heartbeats, close; per round
      --connections N        sockets (charge points P0001..)                                 [1000]
      --connect-rate R       new connections per second                                      [500]
      --heartbeat S          OCPP Heartbeat interval per socket while held                   [30]
      --duration S           seconds held                                                     [30]
      --rounds N             1 = first connections (password checks), 2 adds a reconnect storm (cached checks) [1]
      --source-addresses N   bind sockets to 127.0.0.1..127.0.0.N; 0 = one per 20,000 sockets [0]
     copy-baseline: the events of mt_events seq (FROM, TO] copied again by binary COPY into a scratch table
      --from-seq N, --to-seq N  the range (the ocpp report's store.fromSequence / toSequence)
      --batch-size N         rows per COPY (one durable commit each)                         [1000]
      --parallel N           COPY writers (provision: registrations in flight)                [2]
      --passes N             COPY passes over the same rows (each into the emptied table); the median counts [3]
      --shapes N             then the same rows again in the group commit's shapes, N rows per commit: COPY,
                             INSERT ... SELECT FROM unnest (the append's statement), and that with the foreign key
                             to a streams table; PostgreSQL CPU per row for each (needs --pg-pid)          [off]
     provision: station, idTag and charge points P0001..PN over the HTTP API (needs --api-key, --password or --passwords)
    """;

if (args.Length == 0 || args.Any(a => a is "-h" or "--help"))
{
    Console.WriteLine(Usage);
    return 0;
}

if (args[0] == "bench")
{
    if (!BenchArguments.TryParse(args, out var benchOptions, out var benchError))
    {
        Console.Error.WriteLine($"error: {benchError}");
        Console.Error.WriteLine(Usage);
        return 2;
    }

    return await BenchCommand.RunAsync(benchOptions);
}

if (args[0] == "telemetry")
{
    if (!TelemetryArguments.TryParse(args, out var telemetryOptions, out var telemetryError))
    {
        Console.Error.WriteLine($"error: {telemetryError}");
        Console.Error.WriteLine(Usage);
        return 2;
    }

    return await RunTelemetryAsync(telemetryOptions);
}

if (!DemoOptions.TryParse(args, out var options, out var usageError))
{
    Console.Error.WriteLine($"error: {usageError}");
    Console.Error.WriteLine(Usage);
    return 2;
}

using var stop = new StopSignal(() => Console.WriteLine("stopping: ending running transactions"));

try
{
    await RunDemoAsync(options, stop.Source);
    return 0;
}
catch (OperationCanceledException) when (stop.Requested)
{
    return 0;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

static async Task RunDemoAsync(DemoOptions options, CancellationTokenSource stop)
{
    var ct = stop.Token;
    using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(15) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
    var provisioning = new Provisioning(http, message => Console.WriteLine($"{Now()} provisioning    {message}"));

    await provisioning.WaitForHostAsync(ct);
    await provisioning.EnsureStationAsync(options.StationId, ct);
    await provisioning.EnsureTariffAsync(options.StationId, ct);
    // A tag charges at one connector at a time; with fewer tags than busy connectors some wait their turn.
    var idTags = Enumerable.Range(1, Math.Clamp(options.ChargePoints, 4, 20))
        .Select(i => string.Create(CultureInfo.InvariantCulture, $"SIM-TAG-{i:00}"))
        .ToList();
    foreach (var idTag in idTags)
    {
        await provisioning.EnsureIdTagAsync(idTag, ct);
    }

    var seeds = options.Seed is { } seed ? new Random(seed) : new Random();
    var ocppBase = new UriBuilder(options.Url)
    {
        Scheme = options.Url.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        Path = "/ocpp/",
    }.Uri;
    var pool = new IdTagPool(idTags);
    var chargePoints = new List<VirtualChargePoint>();
    for (var i = 1; i <= options.ChargePoints; i++)
    {
        var credentials = await provisioning.RegisterChargePointAsync(
            string.Create(CultureInfo.InvariantCulture, $"SIM-{i:0000}"), options.StationId, options.ApiKey, ct);
        chargePoints.Add(new VirtualChargePoint(credentials, ocppBase, pool, new Random(seeds.Next())));
    }

    Console.WriteLine($"{Now()} simulator       {chargePoints.Count} charge points at {ocppBase}; Ctrl+C to stop");
    if (options.Duration > TimeSpan.Zero)
    {
        stop.CancelAfter(options.Duration);
    }

    // Staggered so that a demo with many charge points does not open every socket in the same millisecond.
    await Task.WhenAll(chargePoints.Select(async (chargePoint, index) =>
    {
        await Task.Delay(TimeSpan.FromMilliseconds(200 * index), ct);
        await chargePoint.RunAsync(ct);
    }));
}

static async Task<int> RunTelemetryAsync(TelemetryOptions options)
{
    using var stop = new StopSignal();
    try
    {
        if (options.Provision)
        {
            using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(15) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
            var provisioning = new Provisioning(http, message => Console.WriteLine($"{Now()} provisioning    {message}"));
            await provisioning.WaitForHostAsync(stop.Token);
            await provisioning.EnsureStationAsync(options.StationId, stop.Token);
            for (var i = 1; i <= options.Gateways; i++)
            {
                var id = TelemetryOptions.GatewayId(i);
                await provisioning.EnsureGatewayAsync(id, options.StationId, options.PasswordFor(id), TelemetryOptions.TopicPrefix(id), stop.Token);
                await provisioning.PutDeviceMapAsync(id, options.MetersPerGateway, options.TagsPerMessage, stop.Token);
            }
        }

        var report = await new TelemetryPublisher(options, message => Console.WriteLine($"{Now()} telemetry       {message}"))
            .RunAsync(stop.Token);
        Console.WriteLine(TelemetryPublisher.Json(report));
        Console.WriteLine(report.Markdown());
        return report.Failures == 0 ? 0 : 1;
    }
    catch (OperationCanceledException) when (stop.Requested)
    {
        return 130;
    }
    catch (Exception ex)
    {
        await Console.Error.WriteLineAsync($"error: {ex.Message}");
        return 1;
    }
}

static string Now() => DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

internal sealed record DemoOptions(Uri Url, string ApiKey, int ChargePoints, string StationId, TimeSpan Duration, int? Seed)
{
    private static readonly OptionTable<DemoOptions> Table = new OptionTable<DemoOptions>()
        .Value("--url", (o, v) => OptionValue.HttpUrl(v) is { } url ? o with { Url = url } : null)
        .Value("--api-key", (o, v) => o with { ApiKey = v })
        .Value("--charge-points", (o, v) => OptionValue.Int(v, 1, 9999) is { } count ? o with { ChargePoints = count } : null)
        .Value("--station", (o, v) => OptionValue.NonEmpty(v) is { } station ? o with { StationId = station } : null)
        .Value("--duration", (o, v) => OptionValue.Int(v, 0, int.MaxValue) is { } seconds ? o with { Duration = TimeSpan.FromSeconds(seconds) } : null)
        .Value("--seed", (o, v) => OptionValue.Int(v, int.MinValue, int.MaxValue) is { } seed ? o with { Seed = seed } : null);

    public static bool TryParse(string[] args, out DemoOptions options, out string error)
    {
        options = new DemoOptions(
            new Uri("http://127.0.0.1:8080/"),
            Environment.GetEnvironmentVariable("CHARGELEDGER_API_KEY") ?? "",
            ChargePoints: 5,
            StationId: "ST-DEMO",
            Duration: TimeSpan.Zero,
            Seed: null);
        if (args[0] != "demo")
        {
            error = $"unknown command '{args[0]}'";
            return false;
        }

        if (!Table.TryApply(args, ref options, out error))
        {
            return false;
        }

        if (options.ApiKey.Length == 0)
        {
            error = "--api-key is required (or set CHARGELEDGER_API_KEY)";
            return false;
        }

        return true;
    }
}

internal static class TelemetryArguments
{
    private static readonly OptionTable<TelemetryOptions> Table = new OptionTable<TelemetryOptions>()
        .Flag("--provision", o => o with { Provision = true })
        .Value("--host", (o, v) => OptionValue.NonEmpty(v) is { } host ? o with { Host = host } : null)
        .Value("--port", (o, v) => OptionValue.Int(v, 1, 65535) is { } port ? o with { Port = port } : null)
        .Value("--gateways", (o, v) => OptionValue.Int(v, 1, 999) is { } gateways ? o with { Gateways = gateways } : null)
        .Value("--tags-per-message", (o, v) => OptionValue.Int(v, 1, 1000) is { } tags ? o with { TagsPerMessage = tags } : null)
        .Value("--meters-per-gateway", (o, v) => OptionValue.Int(v, 1, 1000) is { } meters ? o with { MetersPerGateway = meters } : null)
        .Value("--rate", (o, v) => OptionValue.Double(v, 0, 1_000_000, exclusiveMin: true) is { } rate ? o with { Rate = rate } : null)
        .Value("--duration", (o, v) => OptionValue.Seconds(v, 0, 86_400, exclusiveMin: true) is { } duration ? o with { Duration = duration } : null)
        .Value("--window", (o, v) => OptionValue.Int(v, 1, 1000) is { } window ? o with { Window = window } : null)
        .Value("--password-seed", (o, v) => OptionValue.NonEmpty(v) is { } seed ? o with { PasswordSeed = seed } : null)
        .Value("--seed", (o, v) => OptionValue.Int(v, int.MinValue, int.MaxValue) is { } seed ? o with { Seed = seed } : null)
        .Value("--url", (o, v) => OptionValue.HttpUrl(v) is { } url ? o with { Url = url } : null)
        .Value("--api-key", (o, v) => o with { ApiKey = v })
        .Value("--station", (o, v) => OptionValue.NonEmpty(v) is { } station ? o with { StationId = station } : null);

    public static bool TryParse(string[] args, out TelemetryOptions options, out string error)
    {
        options = new TelemetryOptions(
            Host: "127.0.0.1",
            Port: 1883,
            Gateways: 5,
            TagsPerMessage: 4,
            Rate: 100,
            Duration: TimeSpan.FromSeconds(10),
            PasswordSeed: Environment.GetEnvironmentVariable("CHARGELEDGER_GATEWAY_SEED") ?? "",
            MetersPerGateway: 4,
            Window: 8,
            Provision: false,
            Url: new Uri("http://127.0.0.1:8080/"),
            ApiKey: Environment.GetEnvironmentVariable("CHARGELEDGER_API_KEY") ?? "",
            StationId: "ST-DEMO",
            Seed: null);
        if (!Table.TryApply(args, ref options, out error))
        {
            return false;
        }

        if (options.PasswordSeed.Length == 0)
        {
            error = "--password-seed is required (or set CHARGELEDGER_GATEWAY_SEED)";
            return false;
        }

        if (options.Provision && options.ApiKey.Length == 0)
        {
            error = "--provision needs --api-key (or CHARGELEDGER_API_KEY)";
            return false;
        }

        return true;
    }
}
