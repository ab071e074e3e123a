using System.Net;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ocpp.Gateway;
using ChargeLedger.Projections;
using ChargeLedger.Projections.Uptime;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using Marten.Events.Daemon.Coordination;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using Npgsql;

namespace ChargeLedger.IntegrationTests.Features.Reports;

/// <summary>
/// The platform on a <see cref="FakeTimeProvider"/>: connectivity times (server) follow the fake clock, status times are
/// the ones the fake charge point sends. A 1-day heartbeat interval lets a test move the clock by hours with a socket
/// open without it going silent (2 days) or idle (2 days + 60 s) unless the test means it to.
/// </summary>
public sealed class UptimeHost : IAsyncLifetime
{
    public const int HeartbeatSeconds = 86_400;

    public UptimeHost(PostgresServer server)
    {
        Host = new LedgerHost(server)
        {
            Configure = builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(Clock);
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["ChargeLedger:Ocpp:HeartbeatIntervalSeconds"] = HeartbeatSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
            },
        };
    }

    /// <summary>Winter (no DST change for weeks), so each test's days are 24 h; tests only ever move it forward.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero));

    public LedgerHost Host { get; }

    public ValueTask InitializeAsync() => Host.InitializeAsync();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

[CollectionDefinition]
public sealed class UptimeCollection : ICollectionFixture<UptimeHost>;

public sealed record UptimeRowDto(string ChargePointId, int ConnectorId, string Date, long UpSeconds, long DownSeconds, long ExcludedSeconds,
    decimal UptimePercent);

/// <summary>GET /api/reports/uptime through real sockets and the real API (CONTRACT.md "Uptime"; issue 3).</summary>
[Collection(typeof(UptimeCollection))]
public sealed class UptimeReportTests(UptimeHost fixture)
{
    private static readonly DateTimeZone Berlin = StationClock.Zone("Europe/Berlin");
    private readonly LedgerHost _host = fixture.Host;
    private readonly FakeTimeProvider _clock = fixture.Clock;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Moves the clock to <paramref name="localTime"/> on a Berlin day no earlier test has touched.</summary>
    private LocalDate FreshDay(LocalTime localTime)
    {
        var date = StationClock.LocalDate(_clock.GetUtcNow(), Berlin).PlusDays(1);
        _clock.SetUtcNow(At(date, localTime));
        return date;
    }

    private static DateTimeOffset At(LocalDate date, LocalTime time) => StationClock.ToUtc(date.At(time), Berlin);

    private static string Iso(LocalDate date) => NodaTime.Text.LocalDatePattern.Iso.Format(date);

    private async Task<List<UptimeRowDto>> ReportAsync(string query, string role = Roles.Operator)
    {
        await _host.WaitForProjectionsAsync();
        var json = await _host.Api(role).GetJsonAsync("/api/reports/uptime?" + query);
        return json.Deserialize<List<UptimeRowDto>>(JsonSerializerOptions.Web)!;
    }

    private async Task<List<object>> ChargePointEventsAsync(string chargePointId) =>
        [.. (await _host.StreamAsync(StreamKeys.ChargePoint(chargePointId))).Select(e => e.Data)];

    /// <summary>Polls (bounded) for something the server records after the socket's own exchange, e.g. a disconnection.</summary>
    private async Task EventuallyAsync(string chargePointId, Func<List<object>, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition(await ChargePointEventsAsync(chargePointId)))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The stream of {chargePointId} did not reach the expected state within 15 s.");
            }

            await Task.Delay(50, Ct); // a poll interval, not a wait for luck
        }
    }

    [Fact]
    public void the_host_runs_on_the_fake_clock()
    {
        _host.Services.GetRequiredService<TimeProvider>().ShouldBeSameAs(_clock);
    }

    [Fact]
    public async Task a_fault_spanning_midnight_is_reported_on_both_station_days()
    {
        var day1 = FreshDay(new LocalTime(20, 0));
        var day2 = day1.PlusDays(1);
        var (cp, credentials) = await _host.BootedChargePointAsync();
        await using (cp)
        {
            await cp.StatusAsync(1, "Available", At(day1, new LocalTime(21, 0)));
            await cp.StatusAsync(1, "Faulted", At(day1, new LocalTime(22, 30)));
            await cp.StatusAsync(1, "Available", At(day2, new LocalTime(1, 15)));
            _clock.SetUtcNow(At(day2.PlusDays(1), new LocalTime(12, 0))); // 40 h later: still short of silence (48 h)
            await cp.CallAsync("Heartbeat", new { });

            var rows = await ReportAsync($"from={Iso(day1)}&to={Iso(day2)}&chargePointId={credentials.Id}");

            // day 1: observed 21:00-24:00 = 10,800 s, faulted 22:30-24:00 = 5,400 s -> 50.00 %
            // day 2: observed 86,400 s, faulted 00:00-01:15 = 4,500 s -> 100 × 81,900 / 86,400 = 94.79 %
            rows.ShouldBe(
            [
                new UptimeRowDto(credentials.Id, 1, Iso(day1), 5_400, 5_400, 0, 50.00m),
                new UptimeRowDto(credentials.Id, 1, Iso(day2), 81_900, 4_500, 0, 94.79m),
            ]);
        }
    }

    [Fact]
    public async Task an_outage_while_disconnected_is_down_time_even_though_the_last_status_was_available()
    {
        var day = FreshDay(new LocalTime(8, 0));
        var (cp, credentials) = await _host.BootedChargePointAsync();
        await cp.StatusAsync(1, "Available", At(day, new LocalTime(8, 0)));
        _clock.SetUtcNow(At(day, new LocalTime(9, 0)));
        await cp.DisposeAsync();
        await EventuallyAsync(credentials.Id, events => events.OfType<ChargePointDisconnected>().Any());

        _clock.SetUtcNow(At(day, new LocalTime(9, 30)));
        await using var again = await _host.ConnectedAsync(credentials);
        await again.BootedAsync();
        await again.StatusAsync(1, "Available", At(day, new LocalTime(9, 30)));
        _clock.SetUtcNow(At(day.PlusDays(1), new LocalTime(12, 0)));

        var rows = await ReportAsync($"from={Iso(day)}&to={Iso(day)}&chargePointId={credentials.Id}");

        // observed 08:00-24:00 = 57,600 s; offline 09:00-09:30 = 1,800 s; 100 × 55,800 / 57,600 = 96.875 -> 96.88
        rows.ShouldBe([new UptimeRowDto(credentials.Id, 1, Iso(day), 55_800, 1_800, 0, 96.88m)]);
    }

    [Fact]
    public async Task a_charge_point_silent_for_twice_the_heartbeat_interval_is_recorded_once_and_down_until_heard_again()
    {
        var day = FreshDay(new LocalTime(6, 0));
        var (cp, credentials) = await _host.BootedChargePointAsync();
        await using var _ = cp;
        var lastHeard = At(day, new LocalTime(6, 0));
        await cp.StatusAsync(1, "Available", lastHeard);
        var watchdog = _host.Services.GetServices<IHostedService>().OfType<SilenceWatchdog>().Single();

        _clock.Advance(TimeSpan.FromSeconds((2 * UptimeHost.HeartbeatSeconds) - 1));
        await watchdog.ScanAsync(Ct);
        (await ChargePointEventsAsync(credentials.Id)).OfType<ChargePointWentSilent>().ShouldBeEmpty();

        _clock.Advance(TimeSpan.FromSeconds(2)); // two heartbeat intervals and one second without a message
        var detectedAt = _clock.GetUtcNow();
        await watchdog.ScanAsync(Ct);
        await EventuallyAsync(credentials.Id, events => events.OfType<ChargePointWentSilent>().Any());
        _clock.Advance(TimeSpan.FromSeconds(20));
        await watchdog.ScanAsync(Ct);
        await watchdog.ScanAsync(Ct);

        var silences = (await ChargePointEventsAsync(credentials.Id)).OfType<ChargePointWentSilent>().ToList();
        var silence = silences.ShouldHaveSingleItem();
        silence.LastHeardAt.ShouldBe(lastHeard);
        silence.DetectedAt.ShouldBe(detectedAt);

        await cp.CallAsync("Heartbeat", new { }); // the answer comes after the end of the silence is committed
        var heard = (await ChargePointEventsAsync(credentials.Id)).OfType<ChargePointHeardAgain>().ShouldHaveSingleItem();
        heard.SilentSince.ShouldBe(lastHeard);
        heard.HeardAt.ShouldBe(detectedAt.AddSeconds(20));
        heard.ConnectionId.ShouldBe(silence.ConnectionId);

        var silentDay = StationClock.LocalDate(detectedAt, Berlin);
        _clock.SetUtcNow(At(silentDay.PlusDays(1), new LocalTime(12, 0)));
        await cp.CallAsync("Heartbeat", new { });
        var rows = await ReportAsync($"from={Iso(day)}&to={Iso(silentDay)}&chargePointId={credentials.Id}");

        // day: 06:00-24:00 up (64,800 s); the next day up; the silent day: down 20 s from detection until heard again
        rows.ShouldBe(
        [
            new UptimeRowDto(credentials.Id, 1, Iso(day), 64_800, 0, 0, 100m),
            new UptimeRowDto(credentials.Id, 1, Iso(day.PlusDays(1)), 86_400, 0, 0, 100m),
            new UptimeRowDto(credentials.Id, 1, Iso(silentDay), 86_380, 20, 0, 99.98m),
        ]);
    }

    [Fact]
    public async Task todays_window_ends_now()
    {
        var day = FreshDay(new LocalTime(10, 0));
        var (cp, credentials) = await _host.BootedChargePointAsync();
        await using var _ = cp;
        await cp.StatusAsync(1, "Available", At(day, new LocalTime(10, 0)));
        await cp.StatusAsync(2, "Faulted", At(day, new LocalTime(11, 0)));
        _clock.SetUtcNow(At(day, new LocalTime(12, 30)));

        var rows = await ReportAsync($"from={Iso(day)}&to={Iso(day.PlusDays(1))}&chargePointId={credentials.Id}");

        // connector 1: 10:00-12:30 = 9,000 s up; connector 2: 11:00-12:30 = 5,400 s down; tomorrow has not begun
        rows.ShouldBe(
        [
            new UptimeRowDto(credentials.Id, 1, Iso(day), 9_000, 0, 0, 100m),
            new UptimeRowDto(credentials.Id, 2, Iso(day), 0, 5_400, 0, 0m),
        ]);
    }

    [Fact]
    public async Task a_charge_point_that_never_reports_a_status_has_no_rows()
    {
        var day = FreshDay(new LocalTime(9, 0));
        var (cp, credentials) = await _host.BootedChargePointAsync();
        await using var _ = cp;
        var registeredOnly = await _host.RegisteredChargePointAsync(credentials.StationId);
        _clock.SetUtcNow(At(day, new LocalTime(18, 0)));

        (await ReportAsync($"from={Iso(day)}&to={Iso(day)}&chargePointId={credentials.Id}")).ShouldBeEmpty();
        (await ReportAsync($"from={Iso(day)}&to={Iso(day)}&chargePointId={registeredOnly.Id}")).ShouldBeEmpty();
        (await ReportAsync($"from={Iso(day)}&to={Iso(day)}&stationId={credentials.StationId}")).ShouldBeEmpty();
        (await ReportAsync($"from={Iso(day)}&to={Iso(day)}&chargePointId=NO-SUCH-CP")).ShouldBeEmpty();
    }

    [Fact]
    public async Task rows_are_filtered_by_charge_point_and_station()
    {
        var day = FreshDay(new LocalTime(7, 0));
        var stationA = await _host.RegisteredStationAsync();
        var stationB = await _host.RegisteredStationAsync();
        var (a1, a1Credentials) = await _host.BootedChargePointAsync(stationA);
        var (a2, a2Credentials) = await _host.BootedChargePointAsync(stationA);
        var (b1, b1Credentials) = await _host.BootedChargePointAsync(stationB);
        await using (a1)
        await using (a2)
        await using (b1)
        {
            foreach (var cp in new[] { a1, a2, b1 })
            {
                await cp.StatusAsync(1, "Available", At(day, new LocalTime(7, 0)));
            }

            _clock.SetUtcNow(At(day, new LocalTime(8, 0)));
            var query = $"from={Iso(day)}&to={Iso(day)}";

            var atA = await ReportAsync($"{query}&stationId={stationA}");
            var one = await ReportAsync($"{query}&chargePointId={a2Credentials.Id}");
            var mismatch = await ReportAsync($"{query}&chargePointId={b1Credentials.Id}&stationId={stationA}");
            var all = await ReportAsync(query, Roles.Admin);

            atA.Select(r => r.ChargePointId).ShouldBe(new[] { a1Credentials.Id, a2Credentials.Id }.Order(StringComparer.Ordinal));
            atA.ShouldAllBe(r => r.UpSeconds == 3_600 && r.Date == Iso(day));
            one.ShouldBe([new UptimeRowDto(a2Credentials.Id, 1, Iso(day), 3_600, 0, 0, 100m)]);
            mismatch.ShouldBeEmpty();
            all.Select(r => r.ChargePointId).ShouldContain(a1Credentials.Id);
            all.Select(r => r.ChargePointId).ShouldContain(b1Credentials.Id);
            all.Select(r => r.ChargePointId).ShouldBe(all.Select(r => r.ChargePointId).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task the_report_needs_the_operator_role()
    {
        var path = "/api/reports/uptime?from=2026-01-01&to=2026-01-02";

        (await _host.Api(null).GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await _host.Api(Roles.Finance).GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await _host.Api(Roles.Developer).GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await _host.Api(Roles.Operator).GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await _host.Api(Roles.Admin).GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("to=2026-01-02", "from")]
    [InlineData("from=2026-01-02", "to")]
    [InlineData("from=02.01.2026&to=2026-01-03", "from")]
    [InlineData("from=2026-01-01&to=2026-02-30", "to")]
    [InlineData("from=2026-01-03&to=2026-01-02", "to")]
    [InlineData("from=2026-01-01&to=2027-01-02", "to")]
    public async Task invalid_dates_are_a_400_naming_the_field(string query, string field)
    {
        var problem = await (await _host.Api(Roles.Operator).GetAsync("/api/reports/uptime?" + query, Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);

        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.GetRawText());
    }

    [Fact]
    public async Task a_rebuild_clears_the_transition_log_and_reproduces_the_report()
    {
        var day = FreshDay(new LocalTime(9, 0));
        var (cp, credentials) = await _host.BootedChargePointAsync();
        await using var _ = cp;
        await cp.StatusAsync(1, "Available", At(day, new LocalTime(9, 0)));
        await cp.StatusAsync(1, "Faulted", At(day, new LocalTime(10, 0)));
        await cp.StatusAsync(1, "Available", At(day, new LocalTime(10, 45)));
        _clock.SetUtcNow(At(day, new LocalTime(12, 0)));
        var query = $"from={Iso(day)}&to={Iso(day)}&chargePointId={credentials.Id}";

        var before = await ReportAsync(query);

        // observed 09:00-12:00 = 10,800 s; faulted 10:00-10:45 = 2,700 s -> 75 %
        before.ShouldBe([new UptimeRowDto(credentials.Id, 1, Iso(day), 8_100, 2_700, 0, 75m)]);

        // A stray row the events do not explain must be gone after the rebuild (DeleteDataInTableOnTeardown).
        await using (var connection = new NpgsqlConnection(_host.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var insert = new NpgsqlCommand(
                $"insert into chargeledger.{UptimeTransitionProjection.TransitionsTable} (seq_id, charge_point_id, connector_id, at, kind, value) " +
                "values (-1, $1, 1, $2, 'Status', 'Faulted')", connection);
            insert.Parameters.AddWithValue(credentials.Id);
            insert.Parameters.AddWithValue(At(day, new LocalTime(11, 0)).UtcDateTime);
            (await insert.ExecuteNonQueryAsync(Ct)).ShouldBe(1);
        }

        (await ReportAsync(query)).ShouldNotBe(before);
        var daemon = _host.Services.GetRequiredService<IProjectionCoordinator>().DaemonForMainDatabase();
        await daemon.RebuildProjectionAsync(ProjectionGroups.Operations, TimeSpan.FromMinutes(1), Ct); // Uptime is rebuilt with its group
        await daemon.StartAgentAsync($"{ProjectionGroups.Operations}:All", Ct); // a rebuild leaves its shard stopped

        (await ReportAsync(query)).ShouldBe(before);
    }
}
