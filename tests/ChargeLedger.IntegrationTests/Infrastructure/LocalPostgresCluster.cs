using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster made with the distribution's binaries (initdb + pg_ctl) in a temp folder,
/// listening on 127.0.0.1 and a free port. As root everything runs as the <c>postgres</c> OS user, because
/// initdb and postgres refuse to run as root.
/// </summary>
internal sealed class LocalPostgresCluster : IAsyncDisposable
{
    private const string FolderPrefix = "chargeledger-pg-";
    private const string OwnerFile = "owner.pid";
    private const string ServiceUser = "postgres";
    private static readonly TimeSpan InitDbTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(15);

    private readonly bool _runAsServiceUser;
    private bool _disposed;

    private LocalPostgresCluster(string binDirectory, string rootDirectory, bool runAsServiceUser)
    {
        BinDirectory = binDirectory;
        RootDirectory = rootDirectory;
        _runAsServiceUser = runAsServiceUser;
    }

    public string BinDirectory { get; }

    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "data");

    public string LogFile => Path.Combine(RootDirectory, "postgres.log");

    public int Port { get; private set; }

    public string Description => $"local cluster ({BinDirectory}, port {Port.ToString(CultureInfo.InvariantCulture)})";

    public string AdminConnectionString =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Database=postgres;Username=postgres";

    public static async Task<LocalPostgresCluster> StartAsync()
    {
        var binDirectory = FindBinDirectory() ?? throw new InvalidOperationException(
            "No PostgreSQL server binaries (initdb, pg_ctl, postgres) were found on PATH, in CHARGELEDGER_PG_BINDIR " +
            "or in /usr/lib/postgresql/*/bin, no Docker engine answered, and CHARGELEDGER_TEST_CONNECTION is not set. " +
            "Run ops/ensure-postgres.sh (installs Debian's postgresql package) or set CHARGELEDGER_TEST_CONNECTION.");

        var runAsServiceUser = await IsRootAsync();
        if (runAsServiceUser)
        {
            await EnsureServiceUserAsync();
        }

        // As root the temp folder must be reachable by the postgres user, so use /tmp rather than a TMPDIR that
        // may live under /root.
        var tempBase = runAsServiceUser ? "/tmp" : Path.GetTempPath();
        await SweepOrphansAsync(tempBase, binDirectory, runAsServiceUser);

        var root = Path.Combine(tempBase, FolderPrefix + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        var cluster = new LocalPostgresCluster(binDirectory, root, runAsServiceUser);
        try
        {
            await File.WriteAllTextAsync(
                Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            if (runAsServiceUser)
            {
                await RequireSuccessAsync("chown", ["-R", ServiceUser + ":", root], ShortTimeout);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            await cluster.InitDbAsync();
            await cluster.StartOnFreePortAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the server the way a power cut would: no checkpoint, WAL replay on the next start.</summary>
    public async Task CrashAsync()
    {
        var result = await PgCtlAsync(["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30"], StopTimeout);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"pg_ctl immediate stop failed.\n{result.Describe()}\n{ReadLogTail()}");
        }
    }

    public Task RestartAsync() => StartServerAsync(Port);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                var result = await PgCtlAsync(
                    ["stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30"], StopTimeout);
                if (!result.Succeeded)
                {
                    KillPostmaster(DataDirectory);
                }
            }
            catch (TimeoutException)
            {
                KillPostmaster(DataDirectory);
            }
        }

        TryDeleteDirectory(RootDirectory);
    }

    private async Task InitDbAsync()
    {
        // C.UTF-8 ships with glibc on Debian 12; plain C is the fallback for images without it.
        string[] locales = ["C.UTF-8", "C"];
        var failures = new List<string>();
        foreach (var locale in locales)
        {
            var result = await RunPgBinaryAsync(
                "initdb",
                ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", $"--locale={locale}", "--no-sync"],
                InitDbTimeout);
            if (result.Succeeded)
            {
                return;
            }

            failures.Add(result.Describe());
            TryDeleteDirectory(DataDirectory);
        }

        throw new InvalidOperationException($"initdb failed in {RootDirectory}.\n{string.Join('\n', failures)}");
    }

    private async Task StartOnFreePortAsync()
    {
        // A free port is found by binding :0 and releasing it; another process may grab it in between,
        // so a "could not bind" start is retried on a new port.
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartServerAsync(FindFreePort());
                return;
            }
            catch (InvalidOperationException e) when (attempt < attempts && e.Message.Contains(
                                                          "could not bind", StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(LogFile);
            }
        }
    }

    private async Task StartServerAsync(int port)
    {
        Port = port;
        var options = string.Join(
            ' ',
            $"-p {port.ToString(CultureInfo.InvariantCulture)}",
            $"-k '{RootDirectory}'",
            "-c listen_addresses=127.0.0.1",
            "-c fsync=on",
            "-c max_connections=500",
            "-c shared_buffers=128MB");
        var result = await PgCtlAsync(
            ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options], StartTimeout);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"pg_ctl start failed (port {port.ToString(CultureInfo.InvariantCulture)}).\n{result.Describe()}\n{ReadLogTail()}");
        }
    }

    private Task<ProcessResult> PgCtlAsync(IReadOnlyList<string> arguments, TimeSpan timeout) =>
        RunPgBinaryAsync("pg_ctl", arguments, timeout);

    private Task<ProcessResult> RunPgBinaryAsync(string binary, IReadOnlyList<string> arguments, TimeSpan timeout) =>
        RunPgBinaryAsync(BinDirectory, _runAsServiceUser, RootDirectory, binary, arguments, timeout);

    private static Task<ProcessResult> RunPgBinaryAsync(
        string binDirectory,
        bool runAsServiceUser,
        string workingDirectory,
        string binary,
        IReadOnlyList<string> arguments,
        TimeSpan timeout)
    {
        var executable = Path.Combine(binDirectory, binary);
        return runAsServiceUser
            ? ProcessRunner.RunAsync("runuser", ["-u", ServiceUser, "--", executable, .. arguments], timeout, workingDirectory)
            : ProcessRunner.RunAsync(executable, arguments, timeout, workingDirectory);
    }

    private string ReadLogTail()
    {
        try
        {
            if (!File.Exists(LogFile))
            {
                return $"(no server log at {LogFile})";
            }

            var lines = File.ReadAllLines(LogFile);
            return $"--- {LogFile} (last 40 lines) ---\n{string.Join('\n', lines.TakeLast(40))}";
        }
        catch (IOException e)
        {
            return $"(could not read {LogFile}: {e.Message})";
        }
    }

    private static string? FindBinDirectory()
    {
        static bool HasServerBinaries(string directory) =>
            File.Exists(Path.Combine(directory, "initdb")) &&
            File.Exists(Path.Combine(directory, "pg_ctl")) &&
            File.Exists(Path.Combine(directory, "postgres"));

        if (Environment.GetEnvironmentVariable("CHARGELEDGER_PG_BINDIR") is { Length: > 0 } configured)
        {
            return HasServerBinaries(configured)
                ? configured
                : throw new InvalidOperationException($"CHARGELEDGER_PG_BINDIR={configured} has no initdb/pg_ctl/postgres.");
        }

        var pathDirectories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (var directory in pathDirectories)
        {
            var initdb = Path.Combine(directory, "initdb");
            if (!File.Exists(initdb))
            {
                continue;
            }

            // /usr/local/bin/initdb is often a symlink into /usr/lib/postgresql/NN/bin; report the real home.
            var resolved = new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb;
            var home = Path.GetDirectoryName(resolved)!;
            if (HasServerBinaries(home))
            {
                return home;
            }

            if (HasServerBinaries(directory))
            {
                return directory;
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }

        return Directory.GetDirectories(debianRoot)
            .Select(d => (Path: Path.Combine(d, "bin"), Version: ParseVersion(Path.GetFileName(d))))
            .Where(c => c.Version is not null && HasServerBinaries(c.Path))
            .OrderByDescending(c => c.Version)
            .Select(c => c.Path)
            .FirstOrDefault();
    }

    private static Version? ParseVersion(string name) =>
        Version.TryParse(name.Contains('.', StringComparison.Ordinal) ? name : name + ".0", out var version)
            ? version
            : null;

    private static async Task<bool> IsRootAsync()
    {
        var result = await ProcessRunner.RunAsync("id", ["-u"], ShortTimeout);
        return result.Succeeded && result.StdOut.Trim() == "0";
    }

    private static async Task EnsureServiceUserAsync()
    {
        if ((await ProcessRunner.RunAsync("id", ["-u", ServiceUser], ShortTimeout)).Succeeded)
        {
            return;
        }

        // Debian's postgresql package creates this user; binaries from elsewhere may not have.
        await RequireSuccessAsync(
            "useradd",
            ["--system", "--user-group", "--no-create-home", "--home-dir", "/var/lib/postgresql",
             "--shell", "/usr/sbin/nologin", ServiceUser],
            ShortTimeout);
    }

    private static async Task RequireSuccessAsync(string fileName, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var result = await ProcessRunner.RunAsync(fileName, arguments, timeout);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(result.Describe());
        }
    }

    private static int FindFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// A test host killed by a timeout never runs DisposeAsync, leaving a postmaster behind. Clusters whose
    /// owning test process is gone are stopped and removed before a new one starts.
    /// </summary>
    private static async Task SweepOrphansAsync(string tempBase, string binDirectory, bool runAsServiceUser)
    {
        string[] candidates;
        try
        {
            candidates = Directory.GetDirectories(tempBase, FolderPrefix + "*");
        }
        catch (IOException)
        {
            return;
        }
        catch (UnauthorizedAccessException)
        {
            return;
        }

        foreach (var root in candidates)
        {
            try
            {
                var ownerPath = Path.Combine(root, OwnerFile);
                if (!File.Exists(ownerPath) ||
                    !int.TryParse(await File.ReadAllTextAsync(ownerPath), CultureInfo.InvariantCulture, out var ownerPid) ||
                    IsAlive(ownerPid))
                {
                    continue;
                }

                var data = Path.Combine(root, "data");
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                {
                    var stop = await RunPgBinaryAsync(
                        binDirectory, runAsServiceUser, root, "pg_ctl",
                        ["stop", "-D", data, "-m", "immediate", "-w", "-t", "30"], StopTimeout);
                    if (!stop.Succeeded)
                    {
                        KillPostmaster(data);
                    }
                }

                TryDeleteDirectory(root);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException
                                          or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"[ChargeLedger tests] could not clean up {root}: {e.Message}");
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void KillPostmaster(string dataDirectory)
    {
        try
        {
            var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
            if (File.Exists(pidFile) &&
                int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), CultureInfo.InvariantCulture, out var pid))
            {
                using var postmaster = Process.GetProcessById(pid);
                postmaster.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException
                                      or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"[ChargeLedger tests] could not kill postmaster of {dataDirectory}: {e.Message}");
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"[ChargeLedger tests] could not delete {path}: {e.Message}");
        }
    }
}
