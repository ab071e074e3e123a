using System.Globalization;

namespace ChargeLedger.Simulator.Bench;

public enum BenchScenario
{
    Ocpp,
    Connections,
    CopyBaseline,
    Provision,
}

/// <summary>What the bench mode does (see the usage text in Program.cs).</summary>
public sealed record BenchOptions
{
    public BenchScenario Scenario { get; init; } = BenchScenario.Ocpp;

    /// <summary>The host's HTTP base; OCPP at ws://host/ocpp/{id}.</summary>
    public Uri Url { get; init; } = new("http://127.0.0.1:8080/");

    public string ApiKey { get; init; } = Environment.GetEnvironmentVariable("CHARGELEDGER_API_KEY") ?? "";

    /// <summary>The Basic-auth password every bench charge point shares (as ops/provision-load.sh registers them).</summary>
    public string Password { get; init; } = "";

    public string Prefix { get; init; } = "LOAD-";

    public int FirstChargePoint { get; init; } = 1;

    public int ChargePoints { get; init; } = 10;

    public string StationId { get; init; } = "ST-LOAD";

    public string IdTag { get; init; } = "TAG-0001";

    /// <summary>Calls per second over all charge points; 0 is closed loop (each charge point as fast as it is answered).</summary>
    public double Rate { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    public int MeterValues { get; init; } = 10;

    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public int Connections { get; init; } = 1000;

    public double ConnectRate { get; init; } = 500;

    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(30);

    public int Rounds { get; init; } = 1;

    /// <summary>Loopback source addresses 127.0.0.1..127.0.0.N; 0 picks enough for the ephemeral port range.</summary>
    public int SourceAddresses { get; init; }

    /// <summary>Handshakes in flight at once (each may wait for a PBKDF2 check on the server).</summary>
    public int ConnectConcurrency { get; init; } = 64;

    public int? ServerPid { get; init; }

    /// <summary>The postmaster: its backends' CPU is summed (children by parent pid, exited ones through cutime).</summary>
    public int? PostgresPid { get; init; }

    /// <summary>Npgsql connection string of the host's database: event counts (ocpp) and the COPY baseline.</summary>
    public string? Postgres { get; init; }

    public string Schema { get; init; } = "chargeledger";

    public long FromSequence { get; init; }

    public long ToSequence { get; init; } = long.MaxValue;

    public int BatchSize { get; init; } = 1000;

    /// <summary>Writers for copy-baseline, HTTP requests in flight for provision.</summary>
    public int Parallel { get; init; } = 2;

    public int MaxRows { get; init; } = 3_000_000;

    /// <summary>copy-baseline: passes over the same rows; the median is reported.</summary>
    public int Passes { get; init; } = 3;

    /// <summary>Sample GET /api/admin/projections during the measured window (needs --api-key).</summary>
    public bool Lag { get; init; } = true;

    public string? JsonFile { get; init; }

    public string? Label { get; init; }

    public Uri OcppBase => new UriBuilder(Url) { Scheme = Url.Scheme == Uri.UriSchemeHttps ? "wss" : "ws", Path = "/ocpp/" }.Uri;

    public string ChargePointId(int index) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{index:0000}");

    /// <summary>Enough source addresses that no one of them needs more than 20,000 of the ~28,000 ephemeral ports.</summary>
    public int SourceAddressCount(int sockets) => SourceAddresses > 0 ? SourceAddresses : Math.Max(1, (sockets + 19_999) / 20_000);
}

public static class BenchArguments
{
    public static bool TryParse(string[] args, out BenchOptions options, out string error)
    {
        options = new BenchOptions();
        error = "";
        if (args.Length == 0 || args[0] != "bench")
        {
            error = "expected 'bench'";
            return false;
        }

        var inv = CultureInfo.InvariantCulture;
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--no-lag")
            {
                options = options with { Lag = false };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--scenario" when ScenarioOf(value) is { } scenario:
                    options = options with { Scenario = scenario };
                    break;
                case "--url" when Uri.TryCreate(value.TrimEnd('/') + "/", UriKind.Absolute, out var url)
                    && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps):
                    options = options with { Url = url };
                    break;
                case "--api-key":
                    options = options with { ApiKey = value };
                    break;
                case "--password" when value.Length > 0:
                    options = options with { Password = value };
                    break;
                case "--prefix" when IsPlain(value):
                    options = options with { Prefix = value };
                    break;
                case "--first" when int.TryParse(value, inv, out var first) && first is >= 1 and <= 9_999_999:
                    options = options with { FirstChargePoint = first };
                    break;
                case "--charge-points" when int.TryParse(value, inv, out var count) && count is >= 1 and <= 1_000_000:
                    options = options with { ChargePoints = count };
                    break;
                case "--station" when IsPlain(value) && value.Length > 0:
                    options = options with { StationId = value };
                    break;
                case "--idtag" when IsPlain(value) && value.Length is > 0 and <= 20:
                    options = options with { IdTag = value };
                    break;
                case "--rate" when double.TryParse(value, inv, out var rate) && rate is >= 0 and <= 1_000_000:
                    options = options with { Rate = rate };
                    break;
                case "--duration" when Seconds(value, 0.1, 86_400) is { } duration:
                    options = options with { Duration = duration };
                    break;
                case "--warmup" when Seconds(value, 0, 3_600) is { } warmup:
                    options = options with { Warmup = warmup };
                    break;
                case "--meter-values" when int.TryParse(value, inv, out var meterValues) && meterValues is >= 0 and <= 1000:
                    options = options with { MeterValues = meterValues };
                    break;
                case "--timeout" when Seconds(value, 0.1, 600) is { } timeout:
                    options = options with { CallTimeout = timeout };
                    break;
                case "--connections" when int.TryParse(value, inv, out var connections) && connections is >= 1 and <= 1_000_000:
                    options = options with { Connections = connections };
                    break;
                case "--connect-rate" when double.TryParse(value, inv, out var connectRate) && connectRate is > 0 and <= 1_000_000:
                    options = options with { ConnectRate = connectRate };
                    break;
                case "--heartbeat" when Seconds(value, 0.1, 86_400) is { } heartbeat:
                    options = options with { Heartbeat = heartbeat };
                    break;
                case "--rounds" when int.TryParse(value, inv, out var rounds) && rounds is >= 1 and <= 10:
                    options = options with { Rounds = rounds };
                    break;
                case "--source-addresses" when int.TryParse(value, inv, out var sources) && sources is >= 0 and <= 254:
                    options = options with { SourceAddresses = sources };
                    break;
                case "--connect-concurrency" when int.TryParse(value, inv, out var concurrency) && concurrency is >= 1 and <= 100_000:
                    options = options with { ConnectConcurrency = concurrency };
                    break;
                case "--server-pid" when int.TryParse(value, inv, out var serverPid) && serverPid > 0:
                    options = options with { ServerPid = serverPid };
                    break;
                case "--pg-pid" when int.TryParse(value, inv, out var pgPid) && pgPid > 0:
                    options = options with { PostgresPid = pgPid };
                    break;
                case "--pg" when value.Length > 0:
                    options = options with { Postgres = value };
                    break;
                case "--schema" when IsPlain(value) && value.Length > 0:
                    options = options with { Schema = value };
                    break;
                case "--from-seq" when long.TryParse(value, inv, out var from) && from >= 0:
                    options = options with { FromSequence = from };
                    break;
                case "--to-seq" when long.TryParse(value, inv, out var to) && to >= 0:
                    options = options with { ToSequence = to };
                    break;
                case "--batch-size" when int.TryParse(value, inv, out var batch) && batch is >= 1 and <= 1_000_000:
                    options = options with { BatchSize = batch };
                    break;
                case "--parallel" when int.TryParse(value, inv, out var parallel) && parallel is >= 1 and <= 256:
                    options = options with { Parallel = parallel };
                    break;
                case "--max-rows" when int.TryParse(value, inv, out var maxRows) && maxRows >= 1:
                    options = options with { MaxRows = maxRows };
                    break;
                case "--passes" when int.TryParse(value, inv, out var passes) && passes is >= 1 and <= 20:
                    options = options with { Passes = passes };
                    break;
                case "--json" when value.Length > 0:
                    options = options with { JsonFile = value };
                    break;
                case "--label" when value.Length > 0:
                    options = options with { Label = value };
                    break;
                case "--scenario" or "--url" or "--password" or "--prefix" or "--first" or "--charge-points" or "--station" or "--idtag"
                    or "--rate" or "--duration" or "--warmup" or "--meter-values" or "--timeout" or "--connections" or "--connect-rate"
                    or "--heartbeat" or "--rounds" or "--source-addresses" or "--connect-concurrency" or "--server-pid" or "--pg-pid"
                    or "--pg" or "--schema" or "--from-seq" or "--to-seq" or "--batch-size" or "--parallel" or "--max-rows" or "--passes" or "--json"
                    or "--label":
                    error = $"invalid value '{value}' for {name}";
                    return false;
                default:
                    error = $"unknown option '{name}'";
                    return false;
            }
        }

        error = options.Scenario switch
        {
            BenchScenario.Ocpp or BenchScenario.Connections when options.Password.Length == 0 => "--password is required (the charge points' shared password)",
            BenchScenario.Provision when options.Password.Length == 0 => "--password is required (the password to register)",
            BenchScenario.Provision when options.ApiKey.Length == 0 => "--api-key is required (or set CHARGELEDGER_API_KEY)",
            BenchScenario.CopyBaseline when options.Postgres is null => "--pg is required (Npgsql connection string of the host's database)",
            BenchScenario.CopyBaseline when options.ToSequence <= options.FromSequence => "--to-seq must be above --from-seq",
            _ => "",
        };
        if (error.Length == 0 && options.Scenario is BenchScenario.Ocpp or BenchScenario.Connections && options.Lag && options.ApiKey.Length == 0)
        {
            // Lag sampling is best effort: without a key there is nothing to sample.
            options = options with { Lag = false };
        }

        return error.Length == 0;
    }

    public static BenchScenario? ScenarioOf(string value) => value switch
    {
        "ocpp" => BenchScenario.Ocpp,
        "connections" => BenchScenario.Connections,
        "copy-baseline" => BenchScenario.CopyBaseline,
        "provision" => BenchScenario.Provision,
        _ => null,
    };

    /// <summary>Ids, prefixes and tags go into JSON frames and SQL names unescaped, so only these characters.</summary>
    private static bool IsPlain(string value) => value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static TimeSpan? Seconds(string value, double min, double max) =>
        double.TryParse(value, CultureInfo.InvariantCulture, out var seconds) && seconds >= min && seconds <= max
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
