using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChargeLedger.Access;

namespace ChargeLedger.IntegrationTests.Infrastructure;

public sealed record ChargePointCredentials(string Id, string Password, string StationId);

public sealed record StartedTransaction(int TransactionId, string IdTagStatus, long MeterStartWh, DateTimeOffset StartedAt);

/// <summary>
/// Given-steps as extension methods (Oskar Dudycz's Scenarios.cs): provisioning goes through the HTTP API, the way an
/// operator does it, and charge point steps through the OCPP socket.
/// </summary>
public static class Scenarios
{
    public static readonly DateTimeOffset SessionStart = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    public static async Task<string> RegisteredStationAsync(this LedgerHost host)
    {
        var id = LedgerHost.NewId("ST");
        var response = await host.Api(Roles.Operator).PostAsJsonAsync("/api/stations",
            new { id, name = "Depot " + id, timeZone = "Europe/Berlin" }, TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return id;
    }

    /// <summary>A station and a charge point on it, registered with a generated password.</summary>
    public static async Task<ChargePointCredentials> RegisteredChargePointAsync(this LedgerHost host, string? stationId = null)
    {
        stationId ??= await host.RegisteredStationAsync();
        var id = LedgerHost.NewId("CP");
        var response = await host.Api(Roles.Operator).PostAsJsonAsync("/api/chargepoints", new { id, stationId },
            TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        var password = JsonDocument.Parse(body).RootElement.GetProperty("password").GetString()!;
        return new ChargePointCredentials(id, password, stationId);
    }

    public static async Task<string> IssuedIdTagAsync(this LedgerHost host, bool blocked = false)
    {
        var idTag = "T" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        var api = host.Api(Roles.Operator);
        var ct = TestContext.Current.CancellationToken;
        var response = await api.PostAsJsonAsync("/api/idtags", new { idTag, expiresAt = (DateTimeOffset?)null, parentIdTag = (string?)null }, ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        if (blocked)
        {
            (await api.PostAsync($"/api/idtags/{idTag}/block", null, ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        return idTag;
    }

    public static Task<FakeChargePoint> ConnectedAsync(this LedgerHost host, ChargePointCredentials credentials) =>
        FakeChargePoint.ConnectAsync(host.OcppUri(credentials.Id), credentials.Id, credentials.Password);

    /// <summary>Registered, connected and booted (BootNotification Accepted).</summary>
    public static async Task<(FakeChargePoint ChargePoint, ChargePointCredentials Credentials)> BootedChargePointAsync(this LedgerHost host,
        string? stationId = null)
    {
        var credentials = await host.RegisteredChargePointAsync(stationId);
        var cp = await host.ConnectedAsync(credentials);
        await cp.BootedAsync();
        return (cp, credentials);
    }

    public static async Task<JsonElement> BootedAsync(this FakeChargePoint cp, string vendor = "VendorX", string model = "ModelY")
    {
        var conf = await cp.CallAsync("BootNotification", new { chargePointVendor = vendor, chargePointModel = model, firmwareVersion = "1.2.3" });
        conf.GetProperty("status").GetString().ShouldBe("Accepted");
        return conf;
    }

    public static Task<JsonElement> StatusAsync(this FakeChargePoint cp, int connectorId, string status, DateTimeOffset? at = null) =>
        cp.CallAsync("StatusNotification", new { connectorId, errorCode = "NoError", status, timestamp = at ?? SessionStart });

    public static async Task<StartedTransaction> StartTransactionAsync(this FakeChargePoint cp, string idTag, int connectorId = 1,
        long meterStart = 1000, DateTimeOffset? at = null, string? messageId = null)
    {
        var timestamp = at ?? SessionStart;
        var conf = await cp.CallAsync("StartTransaction", new { connectorId, idTag, meterStart, timestamp }, messageId);
        return new StartedTransaction(conf.GetProperty("transactionId").GetInt32(), conf.GetProperty("idTagInfo").GetProperty("status").GetString()!,
            meterStart, timestamp);
    }

    public static Task<JsonElement> MeterValuesAsync(this FakeChargePoint cp, int? transactionId, long registerWh, DateTimeOffset at,
        int connectorId = 1, string? signedData = null)
    {
        var sampledValue = new List<object>
        {
            new { value = registerWh.ToString(System.Globalization.CultureInfo.InvariantCulture), measurand = "Energy.Active.Import.Register", unit = "Wh", context = "Sample.Periodic" },
        };
        if (signedData is not null)
        {
            sampledValue.Add(new { value = signedData, format = "SignedData", measurand = "Energy.Active.Import.Register", context = "Sample.Periodic" });
        }

        object payload = transactionId is { } id
            ? new { connectorId, transactionId = id, meterValue = new[] { new { timestamp = at, sampledValue } } }
            : new { connectorId, meterValue = new[] { new { timestamp = at, sampledValue } } };
        return cp.CallAsync("MeterValues", payload);
    }

    public static Task<JsonElement> StopTransactionAsync(this FakeChargePoint cp, int transactionId, long meterStop, DateTimeOffset at,
        string? idTag = null) =>
        idTag is null
            ? cp.CallAsync("StopTransaction", new { transactionId, meterStop, timestamp = at, reason = "EVDisconnected" })
            : cp.CallAsync("StopTransaction", new { transactionId, meterStop, timestamp = at, reason = "EVDisconnected", idTag });

    /// <summary>Reads a JSON body after asserting the status code.</summary>
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(expected, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK) =>
        await (await client.GetAsync(path, TestContext.Current.CancellationToken)).ReadJsonAsync(expected);
}
