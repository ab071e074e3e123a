using System.Net;
using System.Net.Http.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;

namespace ChargeLedger.IntegrationTests.Features.Api;

[CollectionDefinition]
public sealed class TariffCollection : ICollectionFixture<LedgerHost>;

/// <summary>CONTRACT.md Provisioning and Tariffs: publishing versions, assigning a tariff to a station, validation and roles.</summary>
[Collection(typeof(TariffCollection))]
public sealed class TariffTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Operator => host.Api(Roles.Operator);

    [Fact]
    public async Task publishing_is_201_and_each_publication_of_an_id_is_a_new_version()
    {
        var id = LedgerHost.NewId("T");
        var before = DateTimeOffset.UtcNow;

        var first = await (await Operator.PostAsJsonAsync("/api/tariffs", TariffScenarios.ContractTariff(id), Ct)).ReadJsonAsync(HttpStatusCode.Created);
        var second = await (await Operator.PostAsJsonAsync("/api/tariffs", TariffScenarios.ContractTariff(id, validFrom: "2026-11-01T00:00:00Z"), Ct))
            .ReadJsonAsync(HttpStatusCode.Created);

        first.GetProperty("version").GetInt32().ShouldBe(1);
        first.GetProperty("validFrom").GetDateTimeOffset().ShouldBe(first.GetProperty("publishedAt").GetDateTimeOffset());
        first.GetProperty("publishedAt").GetDateTimeOffset().ShouldBeGreaterThanOrEqualTo(before.AddSeconds(-1));
        first.GetProperty("publishedBy").GetString().ShouldBe(Roles.Operator);
        second.GetProperty("version").GetInt32().ShouldBe(2);
        second.GetProperty("validFrom").GetString().ShouldBe("2026-11-01T00:00:00Z");
        var component = second.GetProperty("elements")[2].GetProperty("priceComponents")[1];
        component.GetProperty("type").GetString().ShouldBe("TIME");
        component.GetProperty("price").GetDecimal().ShouldBe(1.20m);
        component.GetProperty("stepSize").GetInt32().ShouldBe(60);

        var tariff = await host.Api(Roles.Finance).GetJsonAsync($"/api/tariffs/{id}");
        tariff.GetProperty("currency").GetString().ShouldBe("EUR");
        tariff.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ShouldBe([1, 2]);
        var events = await host.StreamAsync(StreamKeys.Tariff(id));
        events.Select(e => e.EventTypeName).ShouldBe(["tariff_published", "tariff_published"]);
        ((TariffPublished)events[1].Data).Elements[0].Restrictions!.StartTime.ShouldBe("08:00");
    }

    [Fact]
    public async Task a_new_version_in_another_currency_is_409()
    {
        var id = LedgerHost.NewId("T");
        (await Operator.PostAsJsonAsync("/api/tariffs", TariffScenarios.ContractTariff(id), Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var response = await Operator.PostAsJsonAsync("/api/tariffs", TariffScenarios.ContractTariff(id, currency: "CHF"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await host.StreamVersionAsync(StreamKeys.Tariff(id))).ShouldBe(1);
    }

    [Fact]
    public async Task an_invalid_tariff_is_400_naming_each_invalid_field_by_its_json_path()
    {
        var body = new
        {
            id = "T 1",
            currency = "EURO",
            elements = new object[]
            {
                new
                {
                    priceComponents = new object[]
                    {
                        new { type = "ENERGY", price = -1m, vatPercent = 119m, stepSize = 0 },
                        new { type = "FLAT", price = 0.5m, stepSize = 60 },
                        new { type = "KWH", price = 1m },
                    },
                    restrictions = new { startTime = "8:00", endTime = "24:00", daysOfWeek = new[] { "MONDAY", "FUNDAY" }, minKwh = 10, maxKwh = 5 },
                },
                new { priceComponents = Array.Empty<object>() },
            },
        };

        var response = await Operator.PostAsJsonAsync("/api/tariffs", body, Ct);

        var problem = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ShouldBe(
        [
            "id", "currency",
            "elements[0].priceComponents[0].price", "elements[0].priceComponents[0].vatPercent", "elements[0].priceComponents[0].stepSize",
            "elements[0].priceComponents[1].stepSize", "elements[0].priceComponents[2].type",
            "elements[0].restrictions.startTime", "elements[0].restrictions.endTime", "elements[0].restrictions.daysOfWeek[1]",
            "elements[0].restrictions.maxKwh", "elements[1].priceComponents",
        ], ignoreOrder: true);
    }

    [Fact]
    public async Task a_tariff_without_elements_is_400()
    {
        var response = await Operator.PostAsJsonAsync("/api/tariffs", new { id = LedgerHost.NewId("T"), currency = "EUR", elements = Array.Empty<object>() }, Ct);

        (await response.ReadJsonAsync(HttpStatusCode.BadRequest)).GetProperty("errors").EnumerateObject().Select(p => p.Name).ShouldBe(["elements"]);
    }

    [Fact]
    public async Task a_body_that_is_not_a_tariff_is_400_and_publishes_nothing()
    {
        var id = LedgerHost.NewId("T");
        using var content = new StringContent(
            $$"""{"id":"{{id}}","currency":"EUR","elements":[{"priceComponents":[{"type":"ENERGY","price":"cheap"}]}]}""",
            System.Text.Encoding.UTF8, "application/json");

        var response = await Operator.PostAsync("/api/tariffs", content, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await host.StreamVersionAsync(StreamKeys.Tariff(id))).ShouldBe(0);
    }

    [Fact]
    public async Task publishing_and_assigning_need_the_operator_role_and_reading_a_tariff_operator_or_finance()
    {
        var id = LedgerHost.NewId("T");
        var stationId = await host.RegisteredStationAsync();
        var tariff = TariffScenarios.ContractTariff(id);

        (await host.Api(null).PostAsJsonAsync("/api/tariffs", tariff, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.Api(Roles.Finance).PostAsJsonAsync("/api/tariffs", tariff, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Developer).PostAsJsonAsync("/api/tariffs", tariff, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Admin).PostAsJsonAsync("/api/tariffs", tariff, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var assignment = new { tariffId = id };
        (await host.Api(null).PutAsJsonAsync($"/api/stations/{stationId}/tariff", assignment, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.Api(Roles.Finance).PutAsJsonAsync($"/api/stations/{stationId}/tariff", assignment, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Admin).PutAsJsonAsync($"/api/stations/{stationId}/tariff", assignment, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await host.Api(Roles.Developer).GetAsync($"/api/tariffs/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Operator).GetAsync($"/api/tariffs/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await host.Api(Roles.Operator).GetAsync($"/api/tariffs/{LedgerHost.NewId("T")}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task the_openapi_document_lists_the_tariff_and_billing_endpoints()
    {
        var document = await host.Api(null).GetJsonAsync("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        string[] expected = ["/api/tariffs", "/api/tariffs/{id}", "/api/stations/{id}/tariff", "/api/transactions/{id}/reprice",
            "/api/transactions/{id}/cdr", "/api/reports/billing"];
        expected.ShouldBeSubsetOf(paths);
    }

    [Fact]
    public async Task assigning_a_tariff_to_a_station_is_200_and_recorded_on_the_stations_stream()
    {
        var stationId = await host.RegisteredStationAsync();
        var tariffId = await host.PublishedTariffAsync();

        var body = await (await Operator.PutAsJsonAsync($"/api/stations/{stationId}/tariff",
            new { tariffId, validFrom = "2026-11-01T00:00:00Z" }, Ct)).ReadJsonAsync();
        var again = await Operator.PutAsJsonAsync($"/api/stations/{stationId}/tariff", new { tariffId, validFrom = "2026-11-01T00:00:00Z" }, Ct);
        var now = await (await Operator.PutAsJsonAsync($"/api/stations/{stationId}/tariff", new { tariffId }, Ct)).ReadJsonAsync();

        body.GetProperty("stationId").GetString().ShouldBe(stationId);
        body.GetProperty("tariffId").GetString().ShouldBe(tariffId);
        body.GetProperty("validFrom").GetString().ShouldBe("2026-11-01T00:00:00Z");
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        now.GetProperty("validFrom").GetDateTimeOffset().ShouldBe(now.GetProperty("assignedAt").GetDateTimeOffset());
        var assignments = (await host.StreamAsync(StreamKeys.Station(stationId))).Select(e => e.Data).OfType<TariffAssignedToStation>().ToList();
        assignments.Count.ShouldBe(2);
        assignments[0].ValidFrom.ShouldBe(DateTimeOffset.Parse("2026-11-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        assignments[0].AssignedBy.ShouldBe(Roles.Operator);
    }

    [Fact]
    public async Task assigning_to_an_unknown_station_is_404_and_an_unknown_tariff_is_400()
    {
        var stationId = await host.RegisteredStationAsync();
        var tariffId = await host.PublishedTariffAsync();

        var unknownStation = await Operator.PutAsJsonAsync($"/api/stations/{LedgerHost.NewId("ST")}/tariff", new { tariffId }, Ct);
        var unknownTariff = await Operator.PutAsJsonAsync($"/api/stations/{stationId}/tariff", new { tariffId = LedgerHost.NewId("T") }, Ct);
        var invalidTariff = await Operator.PutAsJsonAsync($"/api/stations/{stationId}/tariff", new { tariffId = "no spaces" }, Ct);

        unknownStation.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await unknownTariff.ReadJsonAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("tariffId", out _).ShouldBeTrue();
        (await invalidTariff.ReadJsonAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("tariffId", out _).ShouldBeTrue();
        (await host.StreamVersionAsync(StreamKeys.Station(stationId))).ShouldBe(1);
    }
}
