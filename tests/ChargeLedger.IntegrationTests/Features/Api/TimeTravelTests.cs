using System.Net;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;

namespace ChargeLedger.IntegrationTests.Features.Api;

/// <summary>
/// Time travel (CONTRACT.md Reads, issue 3): a transaction's and a charge point's aggregate as of a server recording
/// time; 404 for an unknown stream or a time before it began; 400 for an unparseable time.
/// </summary>
[Collection(typeof(ReadCollection))]
public sealed class TimeTravelTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string At(DateTimeOffset moment) => Uri.EscapeDataString(moment.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task a_transaction_is_read_as_of_a_recording_time_in_its_past()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var started = await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), meterStart: 1000);
        await cp.MeterValuesAsync(started.TransactionId, 1400, started.StartedAt.AddMinutes(5));
        await cp.StopTransactionAsync(started.TransactionId, 1900, started.StartedAt.AddMinutes(10));
        var transactionId = StreamKeys.TransactionId(credentials.Id, started.TransactionId);
        var events = await host.PricedStreamAsync(transactionId); // pricing appends version 4 in the background
        var api = host.Api(Roles.Developer);

        var atStart = await api.GetJsonAsync($"/api/transactions/{transactionId}/state?at={At(events[0].Timestamp)}");
        var afterMeterValues = await api.GetJsonAsync($"/api/transactions/{transactionId}/state?at={At(events[1].Timestamp)}");
        var atStop = await api.GetJsonAsync($"/api/transactions/{transactionId}/state?at={At(events[2].Timestamp)}");
        var now = await api.GetJsonAsync($"/api/transactions/{transactionId}/state");

        atStart.GetProperty("version").GetInt64().ShouldBe(1);
        atStart.GetProperty("isStopped").GetBoolean().ShouldBeFalse();
        atStart.GetProperty("lastRegisterWh").GetInt64().ShouldBe(1000);
        afterMeterValues.GetProperty("version").GetInt64().ShouldBe(2);
        afterMeterValues.GetProperty("lastRegisterWh").GetInt64().ShouldBe(1400);
        afterMeterValues.GetProperty("isStopped").GetBoolean().ShouldBeFalse();
        atStop.GetProperty("version").GetInt64().ShouldBe(3);
        atStop.GetProperty("isStopped").GetBoolean().ShouldBeTrue();
        now.GetProperty("version").GetInt64().ShouldBe(4);
        now.GetProperty("isStopped").GetBoolean().ShouldBeTrue();
        now.GetProperty("meterStopWh").GetInt64().ShouldBe(1900);
        (await api.GetAsync($"/api/transactions/{transactionId}/state?at={At(events[0].Timestamp.AddSeconds(-1))}", Ct)).StatusCode
            .ShouldBe(HttpStatusCode.NotFound);
        (await api.GetAsync($"/api/transactions/{credentials.Id}:2146999999/state", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await host.Api(Roles.Finance).GetAsync($"/api/transactions/{transactionId}/state", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-13-45T99:00:00Z")]
    [InlineData("")]
    public async Task an_unparseable_time_is_400_not_the_current_state(string at)
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var connection = cp;
        var api = host.Api(Roles.Developer);

        foreach (var path in new[] { $"/api/chargepoints/{credentials.Id}/state", $"/api/transactions/{credentials.Id}:1/state" })
        {
            var body = await (await api.GetAsync($"{path}?at={Uri.EscapeDataString(at)}", Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);
            body.GetProperty("errors").TryGetProperty("at", out _).ShouldBeTrue(body.ToString());
        }
    }

    [Fact]
    public async Task a_time_without_an_offset_is_utc()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        await cp.StatusAsync(1, "Available");
        var boot = (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Single(e => e.EventTypeName == "charge_point_booted");
        var api = host.Api(Roles.Developer);
        var local = boot.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture);

        var state = await api.GetJsonAsync($"/api/chargepoints/{credentials.Id}/state?at={Uri.EscapeDataString(local)}");

        state.GetProperty("version").GetInt64().ShouldBe(boot.Version);
        (await api.GetAsync($"/api/chargepoints/NO-SUCH-CP-{Guid.NewGuid():N}/state", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
