using System.Collections.Concurrent;
using System.Net.Http.Headers;
using ChargeLedger.Access;
using ChargeLedger.Host;
using JasperFx.Events;
using Marten;
using Marten.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>
/// The real platform (<see cref="Program.BuildApp"/>) on Kestrel at 127.0.0.1 on a free port, against a fresh database
/// of the run's <see cref="PostgresServer"/>. One per test collection (STYLE.md: a host per collection, never per test);
/// tests sharing it keep apart by using unique ids (<see cref="NewId"/>) instead of resetting data.
/// </summary>
public sealed class LedgerHost(PostgresServer server) : IAsyncLifetime
{
    public const string AdminRole = Roles.Admin;
    public static readonly TimeSpan ProjectionTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public string ConnectionString { get; private set; } = "";

    /// <summary>
    /// Runs this host against an existing database (another host's <see cref="ConnectionString"/>) instead of a fresh
    /// one, for several nodes on one database (Features/Cluster). Without a pool size of its own it gets the same 25.
    /// </summary>
    public string? SharedConnectionString { get; init; }

    /// <summary>Extra host configuration, applied after the test settings (for hosts a test builds itself).</summary>
    public Action<WebApplicationBuilder>? Configure { get; init; }

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    public IServiceProvider Services => App.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    private WebApplication App => _app ?? throw new InvalidOperationException("The host has not started.");

    /// <summary>The API key configured for a role ("operator", "finance", "developer", "admin").</summary>
    public static string KeyFor(string role) => $"test-key-{role}-0123456789abcdef";

    /// <summary>A charge point, station or idTag id no other test uses (ids are 1-48 chars of [A-Za-z0-9._-]).</summary>
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}";

    public async ValueTask InitializeAsync()
    {
        // Hosts of many collections share one server: 25 connections each (the host's own default is 40) keeps them
        // within its max_connections while every projection, subscription and the ledger still get their own.
        var connection = new Npgsql.NpgsqlConnectionStringBuilder(SharedConnectionString ?? await server.CreateDatabaseAsync("host"));
        if (SharedConnectionString is null || !SharedConnectionString.Contains("Pool Size", StringComparison.OrdinalIgnoreCase))
        {
            connection.MaxPoolSize = 25;
        }

        ConnectionString = connection.ToString();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Marten"] = ConnectionString,
            ["urls"] = "http://127.0.0.1:0",
            ["ChargeLedger:Security:PasswordIterations"] = "1000",
            ["ChargeLedger:Ocpp:HeartbeatIntervalSeconds"] = "300",
            // Hosts run side by side (one per collection): the embedded MQTT broker takes a free port too.
            ["ChargeLedger:Mqtt:Port"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var role in Roles.All)
        {
            settings[$"ChargeLedger:ApiKeys:{role}:Key"] = KeyFor(role);
            settings[$"ChargeLedger:ApiKeys:{role}:Roles:0"] = role;
        }

        _app = Program.BuildApp(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            Configure?.Invoke(builder);
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _app.StartAsync(timeout.Token);

        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    /// <summary>An HTTP client carrying the Bearer key of <paramref name="role"/>; null for no Authorization header.</summary>
    public HttpClient Api(string? role) => _clients.GetOrAdd(role ?? "", r =>
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (r.Length > 0)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", KeyFor(r));
        }

        return client;
    });

    public Uri OcppUri(string chargePointId) =>
        new UriBuilder(BaseAddress) { Scheme = "ws", Path = "/ocpp/" + chargePointId }.Uri;

    /// <summary>
    /// Waits (bounded) until every async projection and subscription has caught up with the event store: the pricing
    /// subscription appends TransactionPriced after the projections may already have caught up, so this repeats until
    /// no shard's progression row ("{name}:{shard}") is behind the newest event. The daemon's own bookkeeping rows
    /// (HighWaterMark, HighWaterAllocationFence, HighWaterStuckGap: the last gap it skipped, which stays put) are not shards.
    /// </summary>
    public async Task WaitForProjectionsAsync()
    {
        var deadline = DateTime.UtcNow + ProjectionTimeout;
        var schema = Store.Options.Events.DatabaseSchemaName;
        var dataSource = Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        while (true)
        {
            await Store.WaitForNonStaleProjectionDataAsync(ProjectionTimeout);
            await using var command = dataSource.CreateCommand(
                $"select count(*) from {schema}.mt_event_progression where name like '%:%' " +
                $"and last_seq_id < (select coalesce(max(seq_id), 0) from {schema}.mt_events)");
            if ((long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))! == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                // Name the laggards, so a timeout says which projection or subscription stopped and why.
                await using var progress = dataSource.CreateCommand(
                    "select string_agg(name || ' at ' || last_seq_id || coalesce(' ' || agent_status, '') || coalesce(' (' || pause_reason || ')', ''), '; ') " +
                    $"|| '; newest event ' || (select max(seq_id) from {schema}.mt_events) from {schema}.mt_event_progression");
                throw new TimeoutException("Projections and subscriptions did not catch up with the event store: " +
                    await progress.ExecuteScalarAsync(TestContext.Current.CancellationToken));
            }

            await Task.Delay(50, TestContext.Current.CancellationToken); // a poll interval, not a wait for luck
        }
    }

    public async Task<IReadOnlyList<IEvent>> StreamAsync(string streamKey)
    {
        await using var session = Store.QuerySession();
        return await session.Events.FetchStreamAsync(streamKey, token: TestContext.Current.CancellationToken);
    }

    public async Task<long> StreamVersionAsync(string streamKey)
    {
        await using var session = Store.QuerySession();
        var state = await session.Events.FetchStreamStateAsync(streamKey, TestContext.Current.CancellationToken);
        return state?.Version ?? 0;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            finally
            {
                await _app.DisposeAsync();
            }
        }
    }
}
