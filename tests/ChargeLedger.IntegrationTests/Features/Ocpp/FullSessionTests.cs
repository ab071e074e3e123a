using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ocpp.Schemas;

namespace ChargeLedger.IntegrationTests.Features.Ocpp;

[CollectionDefinition]
public sealed class FullSessionCollection : ICollectionFixture<LedgerHost>;

[Collection(typeof(FullSessionCollection))]
public sealed class FullSessionTests(LedgerHost host)
{
    // OCMF as meters emit it: the signature covers these exact characters, so the tab, the double spaces, the CRLF
    // and the trailing space must survive storage untouched (RELIABILITY C12, G1).
    private const string Ocmf =
        "OCMF|{\"FV\":\"1.0\",  \"GI\":\"ABL SBC-301\",\t\"GS\":\"808829900001\",\"GV\":\"1.4p3\",\"PG\":\"T12\",\r\n" +
        " \"IS\":true,\"IT\":\"ISO14443\",\"ID\":\"1F2D3A4F5506C7\",\"RD\":[{\"TM\":\"2026-03-02T09:10:00,000+0000 S\",\"TX\":\"B\"," +
        "\"RV\":2.000,\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\",\"RT\":\"AC\",\"EF\":\"\",\"ST\":\"G\"}]}|" +
        "{\"SD\":\"3045022100C1E5A4D0F2B9A8C7D6E5F40312A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C502207E6F5D4C3B2A1908F7E6D5C4B3A29180F7E6D5C4B3A2918\"}  ";

    [Fact]
    public async Task a_full_session_is_answered_per_schema_and_read_back_as_a_completed_hash_chained_transaction()
    {
        var credentials = await host.RegisteredChargePointAsync();
        var idTag = await host.IssuedIdTagAsync();
        await using var cp = await host.ConnectedAsync(credentials);
        var start = Scenarios.SessionStart;

        var confs = new List<(string Action, JsonElement Payload)>();
        async Task<JsonElement> Call(string action, object payload)
        {
            var conf = await cp.CallAsync(action, payload);
            confs.Add((action, conf));
            return conf;
        }

        var boot = await Call("BootNotification", new { chargePointVendor = "VendorX", chargePointModel = "ModelY", firmwareVersion = "1.2.3" });
        boot.GetProperty("status").GetString().ShouldBe("Accepted");
        boot.GetProperty("interval").GetInt32().ShouldBe(300);
        await Call("StatusNotification", new { connectorId = 1, errorCode = "NoError", status = "Available", timestamp = start });
        var authorize = await Call("Authorize", new { idTag });
        authorize.GetProperty("idTagInfo").GetProperty("status").GetString().ShouldBe("Accepted");

        var started = await Call("StartTransaction", new { connectorId = 1, idTag, meterStart = 1000, timestamp = start });
        started.GetProperty("idTagInfo").GetProperty("status").GetString().ShouldBe("Accepted");
        var transactionId = started.GetProperty("transactionId").GetInt32();
        transactionId.ShouldBePositive();

        for (var i = 1; i <= 3; i++)
        {
            var at = start.AddMinutes(10 * i);
            var sampledValue = new object[]
            {
                new { value = (1000 + (1000 * i)).ToString(System.Globalization.CultureInfo.InvariantCulture), measurand = "Energy.Active.Import.Register", unit = "Wh" },
                new { value = Ocmf, format = "SignedData", measurand = "Energy.Active.Import.Register", context = "Sample.Periodic" },
            };
            await Call("MeterValues", new { connectorId = 1, transactionId, meterValue = new[] { new { timestamp = at, sampledValue } } });
        }

        await Call("StopTransaction", new { transactionId, meterStop = 4500, timestamp = start.AddMinutes(40), reason = "EVDisconnected", idTag });

        confs.Count.ShouldBe(8);
        foreach (var (action, payload) in confs)
        {
            OcppSchemaValidator.Ocpp16.ValidateResponse(action, payload).ShouldBeNull($"{action}.conf {payload}");
        }

        await host.WaitForProjectionsAsync();

        var transaction = await host.Api(Roles.Operator).GetJsonAsync($"/api/transactions/{Uri.EscapeDataString($"{credentials.Id}:{transactionId}")}");
        transaction.GetProperty("status").GetString().ShouldBe("Completed");
        transaction.GetProperty("ocppTransactionId").GetInt32().ShouldBe(transactionId);
        transaction.GetProperty("chargePointId").GetString().ShouldBe(credentials.Id);
        transaction.GetProperty("idTag").GetString().ShouldBe(idTag);
        transaction.GetProperty("meterStartWh").GetInt64().ShouldBe(1000);
        transaction.GetProperty("meterStopWh").GetInt64().ShouldBe(4500);
        transaction.GetProperty("energyWh").GetInt64().ShouldBe(4500 - 1000);
        transaction.GetProperty("stopReason").GetString().ShouldBe("EVDisconnected");

        var chargePoint = await host.Api(Roles.Operator).GetJsonAsync($"/api/chargepoints/{credentials.Id}");
        chargePoint.GetProperty("id").GetString().ShouldBe(credentials.Id);
        chargePoint.GetProperty("stationId").GetString().ShouldBe(credentials.StationId);
        chargePoint.GetProperty("vendor").GetString().ShouldBe("VendorX");
        chargePoint.GetProperty("model").GetString().ShouldBe("ModelY");
        chargePoint.GetProperty("firmwareVersion").GetString().ShouldBe("1.2.3");
        chargePoint.GetProperty("connected").GetBoolean().ShouldBeTrue();
        var connector = chargePoint.GetProperty("connectors").EnumerateArray().ShouldHaveSingleItem();
        connector.GetProperty("connectorId").GetInt32().ShouldBe(1);
        connector.GetProperty("status").GetString().ShouldBe("Available");

        var events = (await host.Api(Roles.Finance).GetJsonAsync($"/api/transactions/{credentials.Id}:{transactionId}/events"))
            .EnumerateArray().ToList();
        // The stop is priced from the event store once the daemon has caught up (the station has no tariff: zero).
        events.Select(e => e.GetProperty("type").GetString()).ShouldBe(
            ["transaction_started", "meter_values_recorded", "meter_values_recorded", "meter_values_recorded", "transaction_stopped", "transaction_priced"]);
        events.Select(e => e.GetProperty("version").GetInt64()).ShouldBe([1L, 2L, 3L, 4L, 5L, 6L]);
        var previous = "";
        foreach (var e in events)
        {
            e.GetProperty("previousHash").GetString().ShouldBe(previous);
            var hash = e.GetProperty("hash").GetString();
            hash.ShouldNotBeNullOrEmpty();
            hash.ShouldNotBe(previous);
            previous = hash;
        }

        foreach (var recorded in events.Where(e => e.GetProperty("type").GetString() == "meter_values_recorded"))
        {
            var signed = recorded.GetProperty("data").GetProperty("samples").EnumerateArray()
                .Single(s => s.GetProperty("format").ValueKind == JsonValueKind.String && s.GetProperty("format").GetString() == "SignedData");
            signed.GetProperty("value").GetString().ShouldBe(Ocmf);
        }
    }
}
