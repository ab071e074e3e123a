using System.Net;
using System.Net.Http.Json;
using ChargeLedger.Access;

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
}
