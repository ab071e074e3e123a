using System.Net;
using System.Net.Http.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;

namespace ChargeLedger.IntegrationTests.Features.Api;

[CollectionDefinition]
public sealed class ReadCollection : ICollectionFixture<LedgerHost>;

/// <summary>CONTRACT.md Reads: transaction queries, their filters and who may read what.</summary>
[Collection(typeof(ReadCollection))]
public sealed class ReadTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A charge point with a completed transaction on connector 1 and an active one on connector 2.</summary>
    private async Task<(ChargePointCredentials Credentials, int Completed, int Active)> TwoTransactionsAsync()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var idTag = await host.IssuedIdTagAsync();
        var completed = await cp.StartTransactionAsync(idTag, connectorId: 1, meterStart: 100);
        await cp.StopTransactionAsync(completed.TransactionId, 1100, completed.StartedAt.AddMinutes(20));
        var active = await cp.StartTransactionAsync(idTag, connectorId: 2, meterStart: 500, at: Scenarios.SessionStart.AddMinutes(5));
        await host.WaitForProjectionsAsync();
        return (credentials, completed.TransactionId, active.TransactionId);
    }

    [Fact]
    public async Task transactions_are_filtered_by_charge_point_and_status()
    {
        var (credentials, completed, active) = await TwoTransactionsAsync();
        await TwoTransactionsAsync();
        var api = host.Api(Roles.Operator);

        var all = await api.GetJsonAsync($"/api/transactions?chargePointId={credentials.Id}");
        var completedOnly = await api.GetJsonAsync($"/api/transactions?chargePointId={credentials.Id}&status=Completed");
        var activeOnly = await api.GetJsonAsync($"/api/transactions?chargePointId={credentials.Id}&status=Active");

        all.EnumerateArray().Select(t => t.GetProperty("ocppTransactionId").GetInt32()).ShouldBe([active, completed], ignoreOrder: true);
        all.EnumerateArray().ShouldAllBe(t => t.GetProperty("chargePointId").GetString() == credentials.Id);
        var done = completedOnly.EnumerateArray().ShouldHaveSingleItem();
        done.GetProperty("ocppTransactionId").GetInt32().ShouldBe(completed);
        done.GetProperty("status").GetString().ShouldBe("Completed");
        done.GetProperty("energyWh").GetInt64().ShouldBe(1000);
        var running = activeOnly.EnumerateArray().ShouldHaveSingleItem();
        running.GetProperty("ocppTransactionId").GetInt32().ShouldBe(active);
        running.GetProperty("connectorId").GetInt32().ShouldBe(2);
        running.GetProperty("stoppedAt").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
    }

    [Fact]
    public async Task an_unparseable_time_filter_is_400_not_ignored()
    {
        var response = await host.Api(Roles.Operator).GetAsync("/api/transactions?from=yesterday", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task an_unknown_status_filter_is_400()
    {
        var response = await host.Api(Roles.Operator).GetAsync("/api/transactions?status=Running", Ct);

        (await response.ReadJsonAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("status", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task a_transaction_is_found_by_its_bare_ocpp_id_and_by_its_full_id()
    {
        var (credentials, completed, _) = await TwoTransactionsAsync();
        var api = host.Api(Roles.Finance);

        var byOcppId = await api.GetJsonAsync($"/api/transactions/{completed}");
        var byId = await api.GetJsonAsync($"/api/transactions/{credentials.Id}:{completed}");

        byOcppId.GetProperty("id").GetString().ShouldBe($"{credentials.Id}:{completed}");
        byOcppId.GetRawText().ShouldBe(byId.GetRawText());
        (await api.GetAsync("/api/transactions/2146999999", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await api.GetAsync($"/api/transactions/{credentials.Id}:2146999999", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task transaction_events_need_the_finance_role()
    {
        var (_, completed, _) = await TwoTransactionsAsync();
        var path = $"/api/transactions/{completed}/events";

        (await host.Api(Roles.Operator).GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Developer).GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(null).GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        // Started, stopped and priced (the daemon has caught up in TwoTransactionsAsync).
        (await host.Api(Roles.Finance).GetJsonAsync(path)).GetArrayLength().ShouldBe(3);
        (await host.Api(Roles.Admin).GetJsonAsync(path)).GetArrayLength().ShouldBe(3);
        (await host.Api(Roles.Finance).GetAsync("/api/transactions/2146999999/events", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task transactions_are_read_by_operator_and_finance_but_not_developer()
    {
        (await host.Api(Roles.Operator).GetAsync("/api/transactions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await host.Api(Roles.Finance).GetAsync("/api/transactions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await host.Api(Roles.Developer).GetAsync("/api/transactions", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(null).GetAsync("/api/transactions", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task the_charge_point_state_can_be_read_as_of_a_moment_in_its_past()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        await cp.StatusAsync(1, "Available");
        var availableAt = (await host.StreamAsync(ChargeLedger.Shared.StreamKeys.ChargePoint(credentials.Id)))[^1].Timestamp;
        await cp.StatusAsync(1, "Faulted");
        var api = host.Api(Roles.Developer);

        var past = await api.GetJsonAsync($"/api/chargepoints/{credentials.Id}/state?at={Uri.EscapeDataString(availableAt.ToString("O"))}");
        var now = await api.GetJsonAsync($"/api/chargepoints/{credentials.Id}/state");

        past.GetProperty("connectors").GetProperty("1").GetProperty("status").GetString().ShouldBe("Available");
        now.GetProperty("connectors").GetProperty("1").GetProperty("status").GetString().ShouldBe("Faulted");
        now.GetProperty("version").GetInt64().ShouldBeGreaterThan(past.GetProperty("version").GetInt64());
        (await host.Api(Roles.Operator).GetAsync($"/api/chargepoints/{credentials.Id}/state", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task changing_an_id_tags_expiry_changes_how_it_is_authorized()
    {
        var (cp, _) = await host.BootedChargePointAsync();
        await using var __ = cp;
        var idTag = await host.IssuedIdTagAsync();
        var api = host.Api(Roles.Operator);

        var expired = await api.PutAsJsonAsync($"/api/idtags/{idTag}/expiry", new { expiresAt = DateTimeOffset.UtcNow.AddDays(-1) }, Ct);
        (await expired.ReadJsonAsync()).GetProperty("expiresAt").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.String);
        (await cp.CallAsync("Authorize", new { idTag })).GetProperty("idTagInfo").GetProperty("status").GetString().ShouldBe("Expired");

        var cleared = await api.PutAsJsonAsync($"/api/idtags/{idTag}/expiry", new { expiresAt = (DateTimeOffset?)null }, Ct);
        (await cleared.ReadJsonAsync()).GetProperty("expiresAt").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        (await cp.CallAsync("Authorize", new { idTag })).GetProperty("idTagInfo").GetProperty("status").GetString().ShouldBe("Accepted");
        (await api.PutAsJsonAsync("/api/idtags/NO-SUCH-TAG/expiry", new { expiresAt = (DateTimeOffset?)null }, Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
