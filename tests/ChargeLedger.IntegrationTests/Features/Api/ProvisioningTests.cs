using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;

namespace ChargeLedger.IntegrationTests.Features.Api;

[CollectionDefinition]
public sealed class ProvisioningCollection : ICollectionFixture<LedgerHost>;

/// <summary>CONTRACT.md Provisioning and RELIABILITY A13 (no open mode: 401 without a key, 403 with the wrong role).</summary>
[Collection(typeof(ProvisioningCollection))]
public sealed class ProvisioningTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Operator => host.Api(Roles.Operator);

    [Fact]
    public async Task registering_a_station_is_201_then_200_when_identical_and_409_with_other_data()
    {
        var id = LedgerHost.NewId("ST");

        var created = await Operator.PostAsJsonAsync("/api/stations", new { id, name = "Depot", timeZone = "Europe/Berlin" }, Ct);
        var again = await Operator.PostAsJsonAsync("/api/stations", new { id, name = "Depot", timeZone = "Europe/Berlin" }, Ct);
        var other = await Operator.PostAsJsonAsync("/api/stations", new { id, name = "Elsewhere", timeZone = "Europe/Berlin" }, Ct);

        var body = await created.ReadJsonAsync(HttpStatusCode.Created);
        body.GetProperty("id").GetString().ShouldBe(id);
        body.GetProperty("timeZone").GetString().ShouldBe("Europe/Berlin");
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        other.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        other.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task an_invalid_station_is_400_with_problem_details_naming_each_invalid_field()
    {
        var response = await Operator.PostAsJsonAsync("/api/stations", new { id = "bad/id", name = "", timeZone = "Mars/Olympus" }, Ct);

        var problem = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        problem.GetProperty("status").GetInt32().ShouldBe(400);
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToList();
        fields.ShouldBe(["id", "name", "timeZone"], ignoreOrder: true);
    }

    [Fact]
    public async Task a_charge_point_without_a_password_is_201_with_the_generated_password_which_then_connects()
    {
        var stationId = await host.RegisteredStationAsync();
        var id = LedgerHost.NewId("CP");

        var body = await (await Operator.PostAsJsonAsync("/api/chargepoints", new { id, stationId }, Ct)).ReadJsonAsync(HttpStatusCode.Created);

        body.GetProperty("id").GetString().ShouldBe(id);
        var password = body.GetProperty("password").GetString().ShouldNotBeNull();
        password.Length.ShouldBeInRange(16, 40);
        await using var cp = await FakeChargePoint.ConnectAsync(host.OcppUri(id), id, password);
        await cp.CallAsync("Heartbeat", new { });
    }

    [Fact]
    public async Task a_charge_point_with_its_own_password_is_201_without_echoing_it()
    {
        var stationId = await host.RegisteredStationAsync();
        var id = LedgerHost.NewId("CP");
        const string Password = "my-own-Password-1234";

        var body = await (await Operator.PostAsJsonAsync("/api/chargepoints", new { id, stationId, password = Password }, Ct))
            .ReadJsonAsync(HttpStatusCode.Created);
        var again = await Operator.PostAsJsonAsync("/api/chargepoints", new { id, stationId, password = Password }, Ct);
        var otherPassword = await Operator.PostAsJsonAsync("/api/chargepoints", new { id, stationId, password = "another-Password-1234" }, Ct);

        body.TryGetProperty("password", out _).ShouldBeFalse();
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        otherPassword.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        await using var cp = await FakeChargePoint.ConnectAsync(host.OcppUri(id), id, Password);
        await cp.CallAsync("Heartbeat", new { });
    }

    [Theory]
    [InlineData("short")]
    [InlineData("has spaces in the password")]
    [InlineData("this-password-is-far-too-long-for-ocpp-basic-auth")]
    public async Task a_charge_point_with_a_bad_password_is_400_naming_the_password(string password)
    {
        var stationId = await host.RegisteredStationAsync();

        var response = await Operator.PostAsJsonAsync("/api/chargepoints", new { id = LedgerHost.NewId("CP"), stationId, password }, Ct);

        var problem = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty("password", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task a_charge_point_on_an_unknown_station_is_400_naming_the_station()
    {
        var response = await Operator.PostAsJsonAsync("/api/chargepoints", new { id = LedgerHost.NewId("CP"), stationId = LedgerHost.NewId("NOST") }, Ct);

        var problem = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty("stationId", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task an_id_tag_is_issued_blocked_and_unblocked()
    {
        var idTag = "TAG" + Guid.NewGuid().ToString("N")[..10];

        var issued = await (await Operator.PostAsJsonAsync("/api/idtags", new { idTag, expiresAt = (DateTimeOffset?)null, parentIdTag = (string?)null }, Ct))
            .ReadJsonAsync(HttpStatusCode.Created);
        var blocked = await (await Operator.PostAsync($"/api/idtags/{idTag}/block", null, Ct)).ReadJsonAsync();
        var blockedAgain = await Operator.PostAsync($"/api/idtags/{idTag}/block", null, Ct);
        var unblocked = await (await Operator.PostAsync($"/api/idtags/{idTag}/unblock", null, Ct)).ReadJsonAsync();

        issued.GetProperty("idTag").GetString().ShouldBe(idTag);
        blocked.GetProperty("blocked").GetBoolean().ShouldBeTrue();
        blockedAgain.StatusCode.ShouldBe(HttpStatusCode.OK);
        unblocked.GetProperty("blocked").GetBoolean().ShouldBeFalse();
        (await Operator.GetJsonAsync($"/api/idtags/{idTag}")).GetProperty("blocked").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task blocking_or_reading_an_unknown_id_tag_is_404()
    {
        var idTag = "NOPE" + Guid.NewGuid().ToString("N")[..10];

        (await Operator.PostAsync($"/api/idtags/{idTag}/block", null, Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Operator.PostAsync($"/api/idtags/{idTag}/unblock", null, Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Operator.GetAsync($"/api/idtags/{idTag}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task an_id_tag_longer_than_20_characters_is_400()
    {
        var response = await Operator.PostAsJsonAsync("/api/idtags", new { idTag = new string('A', 21) }, Ct);

        (await response.ReadJsonAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("idTag", out _).ShouldBeTrue();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-configured-key")]
    [InlineData("Basic b3BlcmF0b3I6cGFzc3dvcmQ=")]
    public async Task provisioning_without_a_valid_key_is_401(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/stations")
        {
            Content = JsonContent.Create(new { id = LedgerHost.NewId("ST"), name = "Depot", timeZone = "Europe/Berlin" }),
        };
        if (authorization is not null)
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        }

        var response = await host.Api(null).SendAsync(request, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData(Roles.Finance)]
    [InlineData(Roles.Developer)]
    public async Task provisioning_with_a_role_other_than_operator_or_admin_is_403(string role)
    {
        var api = host.Api(role);
        var stationId = LedgerHost.NewId("ST");

        (await api.PostAsJsonAsync("/api/stations", new { id = stationId, name = "Depot", timeZone = "Europe/Berlin" }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await api.PostAsJsonAsync("/api/chargepoints", new { id = LedgerHost.NewId("CP"), stationId }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await api.PostAsJsonAsync("/api/idtags", new { idTag = "X1" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task admin_may_provision()
    {
        var response = await host.Api(Roles.Admin).PostAsJsonAsync("/api/stations",
            new { id = LedgerHost.NewId("ST"), name = "Depot", timeZone = "Europe/Berlin" }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task health_endpoints_answer_200_without_a_key(string path)
    {
        (await host.Api(null).GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task the_openapi_document_is_served_and_lists_the_api()
    {
        var document = await host.Api(null).GetJsonAsync("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.ShouldContain("/api/stations");
        paths.ShouldContain("/api/chargepoints");
        paths.ShouldContain("/api/transactions");
    }
}
