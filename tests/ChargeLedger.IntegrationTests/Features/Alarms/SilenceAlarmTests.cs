using System.Globalization;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.Alarms;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ocpp.Gateway;
using ChargeLedger.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace ChargeLedger.IntegrationTests.Features.Alarms;

/// <summary>The platform on a <see cref="FakeTimeProvider"/>, so a test can let a charge point fall silent without waiting.</summary>
public sealed class SilenceHost : IAsyncLifetime
{
    public const int HeartbeatSeconds = 600;

    public SilenceHost(PostgresServer server)
    {
        Host = new LedgerHost(server)
        {
            Configure = builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(Clock);
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["ChargeLedger:Ocpp:HeartbeatIntervalSeconds"] = HeartbeatSeconds.ToString(CultureInfo.InvariantCulture),
                });
            },
        };
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 2, 2, 8, 0, 0, TimeSpan.Zero));

    public LedgerHost Host { get; }

    public ValueTask InitializeAsync() => Host.InitializeAsync();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

[CollectionDefinition]
public sealed class SilenceAlarmCollection : ICollectionFixture<SilenceHost>;

/// <summary>charge_point_silent through the real silence watchdog: raised at detection, cleared when heard again.</summary>
[Collection(typeof(SilenceAlarmCollection))]
public sealed class SilenceAlarmTests(SilenceHost fixture)
{
    private readonly LedgerHost _host = fixture.Host;
    private readonly FakeTimeProvider _clock = fixture.Clock;

    private async Task<List<AlarmDto>> AlarmsAsync(string chargePointId)
    {
        await _host.WaitForProjectionsAsync();
        return (await _host.Api(Roles.Operator).GetJsonAsync($"/api/alarms?chargePointId={chargePointId}")).Deserialize<List<AlarmDto>>(JsonSerializerOptions.Web)!;
    }

    [Fact]
    public async Task a_silent_charge_point_raises_an_alarm_at_detection_and_clears_it_when_heard_again()
    {
        var (cp, credentials) = await _host.BootedChargePointAsync();
        await using var _ = cp;
        var watchdog = _host.Services.GetServices<IHostedService>().OfType<SilenceWatchdog>().Single();

        _clock.Advance(TimeSpan.FromSeconds((2 * SilenceHost.HeartbeatSeconds) + 1));
        var detectedAt = _clock.GetUtcNow();
        await watchdog.ScanAsync(TestContext.Current.CancellationToken);
        await Eventually.ReturnsAsync(async () => (await _host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Select(e => e.Data).ToList(),
            events => events.OfType<ChargePointWentSilent>().Any(), "the silence is recorded");

        var silent = (await AlarmsAsync(credentials.Id)).ShouldHaveSingleItem();
        silent.Kind.ShouldBe(AlarmKinds.ChargePointSilent);
        silent.Severity.ShouldBe(AlarmSeverities.Minor);
        silent.RaisedAt.ShouldBe(detectedAt);
        silent.ClearedAt.ShouldBeNull();

        _clock.Advance(TimeSpan.FromSeconds(30));
        await cp.CallAsync("Heartbeat", new { });

        var cleared = (await AlarmsAsync(credentials.Id)).ShouldHaveSingleItem();
        cleared.Id.ShouldBe(silent.Id);
        cleared.ClearedAt.ShouldBe(detectedAt.AddSeconds(30));
        cleared.ClearReason.ShouldBe("heard_again");
    }
}
