using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ChargeLedger.Tests.Mqtt;

/// <summary>
/// A real Mosquitto for the class: generated mosquitto.conf on a free loopback port, password file
/// (mosquitto_passwd -b), <c>allow_anonymous false</c>, <c>persistence true</c> in a temp directory. Tests skip only
/// when the binaries are missing (ops/test.sh installs Debian's mosquitto and mosquitto-clients).
/// </summary>
public class MosquittoFixture : IAsyncLifetime
{
    public const string ConsumerUser = "chargeledger";
    public const string PublisherUser = "neuron-pub";
    public const string Password = "mosquitto-pw";
    public const string MissingMessage =
        "mosquitto is not installed (apt-get install -y mosquitto mosquitto-clients; ops/test.sh does this)";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"chargeledger-mosquitto-{Guid.NewGuid():N}");
    private readonly StringBuilder _log = new();
    private Process? _process;

    public bool Available { get; private set; }

    public string ConfigPath => Path.Combine(_directory, "mosquitto.conf");

    /// <summary>Users in the password file, all with <see cref="Password"/>.</summary>
    protected virtual IEnumerable<string> Users => [ConsumerUser, PublisherUser];

    /// <summary>Lines appended to the generated mosquitto.conf.</summary>
    protected virtual string ExtraConfiguration => "";

    public int Port { get; private set; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public virtual async ValueTask InitializeAsync()
    {
        if (Tools.Find("mosquitto") is null || Tools.Find("mosquitto_passwd") is null)
        {
            return;
        }

        Directory.CreateDirectory(_directory);
        Port = Tools.FreePort();
        var passwords = Path.Combine(_directory, "passwd");
        await File.WriteAllTextAsync(passwords, "");
        foreach (var user in Users)
        {
            var (code, output) = await Tools.RunAsync("mosquitto_passwd", ["-b", passwords, user, Password]);
            code.ShouldBe(0, output);
        }

        await File.WriteAllTextAsync(Path.Combine(_directory, "mosquitto.conf"), string.Create(CultureInfo.InvariantCulture, $$"""
            listener {{Port}} 127.0.0.1
            allow_anonymous false
            password_file {{passwords}}
            persistence true
            persistence_location {{_directory}}/
            autosave_interval 1
            max_queued_messages 10000
            # Running as root in CI: stay root so the temp files stay readable (no effect for other users).
            user root
            log_dest stderr
            log_type error
            log_type warning
            log_type notice
            log_type information
            connection_messages true
            {{ExtraConfiguration}}

            """));
        Available = true;
        await StartAsync();
    }

    /// <summary>Starts (or restarts, after <see cref="KillAsync"/>) the broker with the same configuration and store.</summary>
    public async Task StartAsync()
    {
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(Tools.Find("mosquitto")!, ["-c", Path.Combine(_directory, "mosquitto.conf")])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            },
        };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            process.HasExited.ShouldBeFalse($"mosquitto exited: {Log}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                // Polling a condition with a deadline: mosquitto has no readiness signal besides the open port.
                await Task.Delay(50);
            }
        }
    }

    /// <summary>kill -9: whatever is not in the persistence file is lost, as after a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}

/// <summary>
/// Mosquitto with the security settings of the shipped ops/mosquitto/mosquitto.conf: its ACL file as it is,
/// use_username_as_clientid and the packet size cap; gateway users GW-A and GW-B.
/// </summary>
public sealed class ShippedConfigMosquittoFixture : MosquittoFixture
{
    protected override IEnumerable<string> Users => [ConsumerUser, "GW-A", "GW-B"];

    protected override string ExtraConfiguration => $"""
        acl_file {Path.Combine(RepositoryRoot(), "ops", "mosquitto", "chargeledger.acl")}
        use_username_as_clientid true
        max_packet_size 327680
        """;

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChargeLedger.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no ChargeLedger.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>Command-line tools the MQTT tests drive (mosquitto, mosquitto_pub, mosquitto_passwd).</summary>
public static class Tools
{
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a tool to completion (at most 20 s) and returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, IEnumerable<string> arguments)
    {
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo(Find(tool) ?? tool, arguments)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            },
        };
        process.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish within 20 s");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
