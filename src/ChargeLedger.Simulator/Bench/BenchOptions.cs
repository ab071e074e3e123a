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

    /// <summary>
    /// --passwords FILE, lines of "id TAB password". Provision registers without a password and writes the passwords the
    /// host generated there; ocpp and connections take each charge point's password from it instead of --password.
    /// </summary>
    public string? PasswordsFile { get; init; }

    /// <summary>The passwords read from <see cref="PasswordsFile"/> (ocpp and connections).</summary>
    public IReadOnlyDictionary<string, string>? Passwords { get; init; }

    /// <summary>The charge point's password: its own from --passwords, else the shared --password.</summary>
    public string PasswordOf(string chargePointId) => Passwords?.GetValueOrDefault(chargePointId) ?? Password;

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

    /// <summary>copy-baseline: also write the rows in the group commit's shapes, this many per commit (0 = not).</summary>
    public int ShapeBatch { get; init; }

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
    private static readonly OptionTable<BenchOptions> Table = new OptionTable<BenchOptions>()
        .Flag("--no-lag", o => o with { Lag = false })
        .Value("--scenario", (o, v) => ScenarioOf(v) is { } scenario ? o with { Scenario = scenario } : null)
        .Value("--url", (o, v) => OptionValue.HttpUrl(v) is { } url ? o with { Url = url } : null)
        .Value("--api-key", (o, v) => o with { ApiKey = v })
        .Value("--password", (o, v) => v.Length > 0 ? o with { Password = v } : null)
        .Value("--passwords", (o, v) => v.Length > 0 ? o with { PasswordsFile = v } : null)
        .Value("--prefix", (o, v) => IsPlain(v) ? o with { Prefix = v } : null)
        .Value("--first", (o, v) => OptionValue.Int(v, 1, 9_999_999) is { } first ? o with { FirstChargePoint = first } : null)
        .Value("--charge-points", (o, v) => OptionValue.Int(v, 1, 1_000_000) is { } count ? o with { ChargePoints = count } : null)
        .Value("--station", (o, v) => IsPlain(v) && v.Length > 0 ? o with { StationId = v } : null)
        .Value("--idtag", (o, v) => IsPlain(v) && v.Length is > 0 and <= 20 ? o with { IdTag = v } : null)
        .Value("--rate", (o, v) => OptionValue.Double(v, 0, 1_000_000) is { } rate ? o with { Rate = rate } : null)
        .Value("--duration", (o, v) => OptionValue.Seconds(v, 0.1, 86_400) is { } duration ? o with { Duration = duration } : null)
        .Value("--warmup", (o, v) => OptionValue.Seconds(v, 0, 3_600) is { } warmup ? o with { Warmup = warmup } : null)
        .Value("--meter-values", (o, v) => OptionValue.Int(v, 0, 1000) is { } meterValues ? o with { MeterValues = meterValues } : null)
        .Value("--timeout", (o, v) => OptionValue.Seconds(v, 0.1, 600) is { } timeout ? o with { CallTimeout = timeout } : null)
        .Value("--connections", (o, v) => OptionValue.Int(v, 1, 1_000_000) is { } connections ? o with { Connections = connections } : null)
        .Value("--connect-rate", (o, v) => OptionValue.Double(v, 0, 1_000_000, exclusiveMin: true) is { } rate ? o with { ConnectRate = rate } : null)
        .Value("--heartbeat", (o, v) => OptionValue.Seconds(v, 0.1, 86_400) is { } heartbeat ? o with { Heartbeat = heartbeat } : null)
        .Value("--rounds", (o, v) => OptionValue.Int(v, 1, 10) is { } rounds ? o with { Rounds = rounds } : null)
        .Value("--source-addresses", (o, v) => OptionValue.Int(v, 0, 254) is { } sources ? o with { SourceAddresses = sources } : null)
        .Value("--connect-concurrency", (o, v) => OptionValue.Int(v, 1, 100_000) is { } concurrency ? o with { ConnectConcurrency = concurrency } : null)
        .Value("--server-pid", (o, v) => OptionValue.Int(v, 1, int.MaxValue) is { } pid ? o with { ServerPid = pid } : null)
        .Value("--pg-pid", (o, v) => OptionValue.Int(v, 1, int.MaxValue) is { } pid ? o with { PostgresPid = pid } : null)
        .Value("--pg", (o, v) => v.Length > 0 ? o with { Postgres = v } : null)
        .Value("--schema", (o, v) => IsPlain(v) && v.Length > 0 ? o with { Schema = v } : null)
        .Value("--from-seq", (o, v) => OptionValue.Long(v, 0, long.MaxValue) is { } from ? o with { FromSequence = from } : null)
        .Value("--to-seq", (o, v) => OptionValue.Long(v, 0, long.MaxValue) is { } to ? o with { ToSequence = to } : null)
        .Value("--batch-size", (o, v) => OptionValue.Int(v, 1, 1_000_000) is { } batch ? o with { BatchSize = batch } : null)
        .Value("--parallel", (o, v) => OptionValue.Int(v, 1, 256) is { } parallel ? o with { Parallel = parallel } : null)
        .Value("--max-rows", (o, v) => OptionValue.Int(v, 1, int.MaxValue) is { } maxRows ? o with { MaxRows = maxRows } : null)
        .Value("--passes", (o, v) => OptionValue.Int(v, 1, 20) is { } passes ? o with { Passes = passes } : null)
        .Value("--shapes", (o, v) => OptionValue.Int(v, 1, 100_000) is { } batch ? o with { ShapeBatch = batch } : null)
        .Value("--json", (o, v) => v.Length > 0 ? o with { JsonFile = v } : null)
        .Value("--label", (o, v) => v.Length > 0 ? o with { Label = v } : null);

    public static bool TryParse(string[] args, out BenchOptions options, out string error)
    {
        options = new BenchOptions();
        if (args.Length == 0 || args[0] != "bench")
        {
            error = "expected 'bench'";
            return false;
        }

        if (!Table.TryApply(args, ref options, out error))
        {
            return false;
        }

        error = options.Scenario switch
        {
            BenchScenario.Ocpp or BenchScenario.Connections when options.Password.Length == 0 && options.PasswordsFile is null =>
                "--password or --passwords is required (the charge points' shared password, or a file of their own)",
            BenchScenario.Ocpp or BenchScenario.Connections when options.PasswordsFile is { } file && !File.Exists(file) => $"--passwords: no file {file}",
            BenchScenario.Provision when options.Password.Length == 0 && options.PasswordsFile is null =>
                "--password or --passwords is required (the password to register, or a file for the passwords the host generates)",
            BenchScenario.Provision when options.Password.Length > 0 && options.PasswordsFile is not null =>
                "--password and --passwords exclude each other for provision (a chosen password, or generated ones)",
            BenchScenario.Provision when options.ApiKey.Length == 0 => "--api-key is required (or set CHARGELEDGER_API_KEY)",
            BenchScenario.CopyBaseline when options.Postgres is null => "--pg is required (Npgsql connection string of the host's database)",
            BenchScenario.CopyBaseline when options.ToSequence <= options.FromSequence => "--to-seq must be above --from-seq",
            _ => "",
        };
        if (error.Length == 0 && options.Scenario is BenchScenario.Ocpp or BenchScenario.Connections && options.PasswordsFile is { } passwords)
        {
            options = options with { Passwords = ReadPasswords(passwords) };
        }

        if (error.Length == 0 && options.Scenario is BenchScenario.Ocpp or BenchScenario.Connections && options.Lag && options.ApiKey.Length == 0)
        {
            // Lag sampling is best effort: without a key there is nothing to sample.
            options = options with { Lag = false };
        }

        return error.Length == 0;
    }

    /// <summary>"id TAB password" per line, as provision writes them.</summary>
    public static Dictionary<string, string> ReadPasswords(string file) =>
        File.ReadLines(file).Select(line => line.Split('\t')).Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);

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
}
