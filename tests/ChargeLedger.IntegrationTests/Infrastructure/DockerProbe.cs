using System.Net.Sockets;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>
/// A quick "is a Docker engine answering?" check. Testcontainers' own discovery can wait a long time on a dead
/// socket, so the fixture asks <c>GET /_ping</c> itself with a hard deadline and only then hands over.
/// </summary>
internal static class DockerProbe
{
    public static async Task<bool> IsEngineReachableAsync(TimeSpan timeout)
    {
        var endpoint = ResolveEndpoint();
        if (endpoint is null)
        {
            return false;
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return endpoint.Scheme switch
            {
                "unix" => await PingUnixSocketAsync(endpoint.LocalPath, timeout, cts.Token),
                // A TLS engine needs the client certificate to answer a ping; a TCP connect is enough to decide.
                "tcp" => await CanConnectAsync(endpoint.Host, endpoint.Port, cts.Token),
                _ => false,
            };
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or OperationCanceledException
                                      or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async Task<bool> PingUnixSocketAsync(string socketPath, TimeSpan timeout, CancellationToken ct)
    {
        if (!File.Exists(socketPath))
        {
            return false;
        }

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var client = new HttpClient(handler) { Timeout = timeout };
        using var response = await client.GetAsync(new Uri("http://docker.invalid/_ping"), ct);
        return response.IsSuccessStatusCode;
    }

    private static async Task<bool> CanConnectAsync(string host, int port, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port, ct);
        return true;
    }

    private static Uri? ResolveEndpoint()
    {
        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrWhiteSpace(dockerHost))
        {
            return Uri.TryCreate(dockerHost, UriKind.Absolute, out var uri) ? uri : null;
        }

        var candidates = new List<string> { "/var/run/docker.sock" };
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtimeDir)
        {
            candidates.Add(Path.Combine(runtimeDir, "docker.sock"));
        }

        var found = candidates.FirstOrDefault(File.Exists);
        return found is null ? null : new Uri("unix://" + found);
    }
}
