using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using JasperFx.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>Given-steps for tariffs and billing, through the HTTP API as an operator does it.</summary>
public static class TariffScenarios
{
    /// <summary>
    /// The CONTRACT.md example: ENERGY 0.30 08:00-20:00, else 0.20; FLAT 0.50, TIME 1.20/h (step 60 s),
    /// PARKING_TIME 6.00/h (step 60 s); VAT 19 %.
    /// </summary>
    public static object ContractTariff(string id, string? validFrom = null, string currency = "EUR", decimal dayEnergyPrice = 0.30m) => new
    {
        id,
        currency,
        validFrom,
        elements = new object[]
        {
            new
            {
                priceComponents = new[] { new { type = "ENERGY", price = dayEnergyPrice, vatPercent = 19m, stepSize = 1 } },
                restrictions = new { startTime = "08:00", endTime = "20:00" },
            },
            new { priceComponents = new[] { new { type = "ENERGY", price = 0.20m, vatPercent = 19m, stepSize = 1 } } },
            new
            {
                priceComponents = new object[]
                {
                    new { type = "FLAT", price = 0.50m, vatPercent = 19m },
                    new { type = "TIME", price = 1.20m, vatPercent = 19m, stepSize = 60 },
                    new { type = "PARKING_TIME", price = 6.00m, vatPercent = 19m, stepSize = 60 },
                },
            },
        },
    };

    /// <summary>Publishes <paramref name="tariff"/> (default: the contract example under a new id) and returns its id.</summary>
    public static async Task<string> PublishedTariffAsync(this LedgerHost host, object? tariff = null, string? id = null)
    {
        id ??= LedgerHost.NewId("T");
        var response = await host.Api(Roles.Operator).PostAsJsonAsync("/api/tariffs", tariff ?? ContractTariff(id, "2020-01-01T00:00:00Z"),
            TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return id;
    }

    public static async Task AssignedTariffAsync(this LedgerHost host, string stationId, string tariffId, string validFrom = "2020-01-01T00:00:00Z")
    {
        var response = await host.Api(Roles.Operator).PutAsJsonAsync($"/api/stations/{stationId}/tariff", new { tariffId, validFrom },
            TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// A real session over OCPP on a new Europe/Berlin station with the CONTRACT.md example tariff (a new id, valid since
    /// 2020) assigned, 2 Mar 2026 09:00Z-09:40Z (10:00-10:40 CET, inside 08:00-20:00). Register 1,000 -> 4,500 Wh with
    /// samples every 10 min; Preparing before the start (ignored), Charging at the start, SuspendedEV at 09:30Z. Priced:
    ///   ENERGY 3.5 kWh × 0.30              = 1.05
    ///   TIME 30 min = 0.5 h × 1.20          = 0.60
    ///   PARKING_TIME 10 min = 1/6 h × 6.00  = 1.00
    ///   FLAT                                  0.50
    ///   excl. 3.15; VAT 19 % = 0.5985 -> 0.60; incl. 3.75
    /// </summary>
    public static async Task<(string TransactionId, string StationId, string IdTag, string TariffId)> ContractSessionAsync(this LedgerHost host,
        string? stationId = null, string? tariffId = null)
    {
        if (stationId is null)
        {
            stationId = await host.RegisteredStationAsync();
            tariffId ??= await host.PublishedTariffAsync();
            await host.AssignedTariffAsync(stationId, tariffId);
        }

        var idTag = await host.IssuedIdTagAsync();
        var (cp, credentials) = await host.BootedChargePointAsync(stationId);
        await using (cp)
        {
            var start = Scenarios.SessionStart;
            await cp.StatusAsync(1, "Preparing", start.AddMinutes(-1));
            var started = await cp.StartTransactionAsync(idTag, meterStart: 1_000, at: start);
            await cp.StatusAsync(1, "Charging", start);
            for (var i = 1; i <= 3; i++)
            {
                await cp.MeterValuesAsync(started.TransactionId, 1_000 + (1_000 * i), start.AddMinutes(10 * i));
            }

            await cp.StatusAsync(1, "SuspendedEV", start.AddMinutes(30));
            await cp.StopTransactionAsync(started.TransactionId, 4_500, start.AddMinutes(40));
            await cp.StatusAsync(1, "Finishing", start.AddMinutes(40));
            return (StreamKeys.TransactionId(credentials.Id, started.TransactionId), stationId, idTag, tariffId ?? "");
        }
    }

    /// <summary>
    /// Waits (bounded) until the transaction's stream holds at least <paramref name="pricings"/> pricing events. Pricing runs
    /// in the async daemon after the stop's commit, so each round waits for the daemon to catch up with the store.
    /// </summary>
    public static async Task<IReadOnlyList<IEvent>> PricedStreamAsync(this LedgerHost host, string transactionId, int pricings = 1)
    {
        var streamKey = StreamKeys.Transaction(transactionId);
        for (var round = 0; round < 10; round++)
        {
            await host.WaitForProjectionsAsync();
            var events = await host.StreamAsync(streamKey);
            if (events.Count(e => e.Data is TransactionPriced or TransactionRepriced) >= pricings)
            {
                return events;
            }
        }

        throw new TimeoutException($"Transaction {transactionId} was not priced.");
    }

    /// <summary>The stream's hash chain exactly as stored in mt_events (what an auditor verifies).</summary>
    public static async Task<List<HashChain.Link>> StoredChainAsync(this LedgerHost host, string streamKey)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            "select version, type, data, headers from chargeledger.mt_events where stream_id = $1 order by version", connection);
        command.Parameters.AddWithValue(streamKey);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var links = new List<HashChain.Link>();
        while (await reader.ReadAsync(ct))
        {
            using var headers = JsonDocument.Parse(reader.GetString(3));
            links.Add(new HashChain.Link(reader.GetInt64(0), reader.GetString(1), JsonDocument.Parse(reader.GetString(2)).RootElement.Clone(),
                headers.RootElement.GetProperty(HashChain.HashHeader).GetString(), headers.RootElement.GetProperty(HashChain.PreviousHashHeader).GetString()));
        }

        return links;
    }
}
