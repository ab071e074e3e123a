using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using JasperFx.Events;
using Npgsql;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>Given-steps for tariffs and billing, through the HTTP API as an operator does it.</summary>
public static class TariffScenarios
{
    /// <summary>
    /// The CONTRACT.md example: ENERGY 0.30 08:00-20:00, else 0.20; FLAT 0.50, TIME 1.20/h (step 60 s),
    /// PARKING_TIME 6.00/h (step 60 s); VAT 19 %.
    /// </summary>
    public static object ContractTariff(string id, string? validFrom = null, string currency = "EUR") => new
    {
        id,
        currency,
        validFrom,
        elements = new object[]
        {
            new
            {
                priceComponents = new[] { new { type = "ENERGY", price = 0.30m, vatPercent = 19m, stepSize = 1 } },
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
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync(ct);
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
