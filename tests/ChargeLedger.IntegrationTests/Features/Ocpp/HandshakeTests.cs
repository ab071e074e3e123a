using System.Net.WebSockets;
using System.Text;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;

namespace ChargeLedger.IntegrationTests.Features.Ocpp;

[CollectionDefinition]
public sealed class HandshakeCollection : ICollectionFixture<LedgerHost>;

/// <summary>RELIABILITY A1, A2, A4, A8: nobody gets a socket without valid credentials, checked before the upgrade.</summary>
[Collection(typeof(HandshakeCollection))]
public sealed class HandshakeTests(LedgerHost host)
{
    [Fact]
    public async Task an_unknown_identity_is_refused_with_401_before_the_upgrade()
    {
        var id = LedgerHost.NewId("NOPE");

        var response = await FakeChargePoint.HandshakeAsync(host.BaseAddress, $"/ocpp/{id}",
            FakeChargePoint.BasicAuthorization(id, "some-password-0123456789"));

        response.StatusCode.ShouldBe(401);
        response.Header("WWW-Authenticate").ShouldNotBeNull().ShouldStartWith("Basic");
        var refused = await Should.ThrowAsync<WebSocketException>(() =>
            FakeChargePoint.ConnectAsync(host.OcppUri(id), id, "some-password-0123456789"));
        refused.Message.ShouldContain("401");
        (await host.StreamVersionAsync(StreamKeys.ChargePoint(id))).ShouldBe(0);
    }

    public static TheoryData<string, string?> BadCredentials => new()
    {
        { "no header", null },
        { "wrong password", "Basic {id}:wrong-password-0123456789" },
        { "username is another id", "Basic OTHER-CP:{password}" },
        { "username differs in case", "Basic {ID}:{password}" },
        { "malformed base64", "Basic !!!not-base64!!!" },
        { "base64 without a colon", "Basic {b64:nocolon}" },
        { "invalid UTF-8 in credentials", "Basic gICA" },
        { "bearer scheme", "Bearer {password}" },
        { "digest scheme", "Digest username=\"{id}\"" },
        { "empty basic", "Basic " },
    };

    [Theory]
    [MemberData(nameof(BadCredentials))]
    public async Task missing_or_wrong_basic_auth_is_refused_with_401_and_a_basic_challenge(string _, string? authorizationTemplate)
    {
        var credentials = await host.RegisteredChargePointAsync();
        var authorization = authorizationTemplate is null ? null : Expand(authorizationTemplate, credentials);

        var response = await FakeChargePoint.HandshakeAsync(host.BaseAddress, $"/ocpp/{credentials.Id}", authorization);

        response.StatusCode.ShouldBe(401);
        response.Header("WWW-Authenticate").ShouldNotBeNull().ShouldStartWith("Basic");
        (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).ShouldAllBe(e => e.Data is ChargePointRegistered);
    }

    [Fact]
    public async Task valid_credentials_are_upgraded_with_the_ocpp16_subprotocol()
    {
        var credentials = await host.RegisteredChargePointAsync();

        var response = await FakeChargePoint.HandshakeAsync(host.BaseAddress, $"/ocpp/{credentials.Id}",
            FakeChargePoint.BasicAuthorization(credentials.Id, credentials.Password));

        response.StatusCode.ShouldBe(101);
        response.Header("Sec-WebSocket-Protocol").ShouldBe("ocpp1.6");
    }

    public static TheoryData<string> EdgeIdentities => new()
    {
        "{id}%2F..%2F{id}",
        "{id}%2f",
        "..",
        "%2E%2E",
        "{id}:1",
        "{id}%3A1",
        "{id}" + new string('x', 48),
        "%C3%A9{id}",
        "{id}%E2%80%8B",
        "{lower}",
        "%252F{id}",
        "{id}%00",
    };

    /// <summary>
    /// Each identity is sent with the registered charge point's password, so a canonicalising server would let it in:
    /// the id rule (1-48 of [A-Za-z0-9._-], StreamKeys.IsValidId) must refuse it instead (RELIABILITY A4).
    /// </summary>
    [Theory]
    [MemberData(nameof(EdgeIdentities))]
    public async Task identity_edge_cases_are_refused_and_never_reach_another_charge_point(string template)
    {
        var credentials = await host.RegisteredChargePointAsync();
        var rawIdentity = Expand(template, credentials);
        var username = Uri.UnescapeDataString(rawIdentity);

        var response = await FakeChargePoint.HandshakeAsync(host.BaseAddress, $"/ocpp/{rawIdentity}",
            FakeChargePoint.BasicAuthorization(username, credentials.Password));

        response.StatusCode.ShouldNotBe(101);
        response.StatusCode.ShouldBeOneOf(400, 401, 404);
        (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).ShouldAllBe(e => e.Data is ChargePointRegistered);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ocpp2.0.1")]
    [InlineData("OCPP1.6")]
    public async Task an_upgrade_without_the_ocpp16_subprotocol_is_refused(string? subprotocol)
    {
        var credentials = await host.RegisteredChargePointAsync();

        var response = await FakeChargePoint.HandshakeAsync(host.BaseAddress, $"/ocpp/{credentials.Id}",
            FakeChargePoint.BasicAuthorization(credentials.Id, credentials.Password), subprotocol);

        response.StatusCode.ShouldBe(400);
        (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).ShouldAllBe(e => e.Data is ChargePointRegistered);
    }

    [Fact]
    public async Task a_second_upgrade_without_valid_credentials_is_refused_and_the_first_connection_keeps_working()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var versionBefore = await host.StreamVersionAsync(StreamKeys.ChargePoint(credentials.Id));

        var hijack = await FakeChargePoint.HandshakeAsync(host.BaseAddress, $"/ocpp/{credentials.Id}",
            FakeChargePoint.BasicAuthorization(credentials.Id, "not-the-password-0123456789"));
        var anonymous = await FakeChargePoint.HandshakeAsync(host.BaseAddress, $"/ocpp/{credentials.Id}", null);

        hijack.StatusCode.ShouldBe(401);
        anonymous.StatusCode.ShouldBe(401);
        var heartbeat = await cp.CallAsync("Heartbeat", new { });
        heartbeat.GetProperty("currentTime").GetString().ShouldNotBeNullOrEmpty();
        cp.IsOpen.ShouldBeTrue();
        (await host.StreamVersionAsync(StreamKeys.ChargePoint(credentials.Id))).ShouldBe(versionBefore);
    }

    [Fact]
    public async Task a_second_connection_with_valid_credentials_replaces_the_first_and_is_recorded()
    {
        var (first, credentials) = await host.BootedChargePointAsync();
        await using var _ = first;

        await using var second = await host.ConnectedAsync(credentials);

        (await first.WaitForCloseAsync()).ShouldBe(WebSocketCloseStatus.PolicyViolation);
        await second.CallAsync("Heartbeat", new { });
        await second.StatusAsync(1, "Available");
        var events = await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id));
        var connections = events.Select(e => e.Data).Where(d => d is ChargePointConnected or ChargePointConnectionReplaced or ChargePointDisconnected).ToList();
        connections.Count.ShouldBe(2);
        var connected = connections[0].ShouldBeOfType<ChargePointConnected>();
        var replaced = connections[1].ShouldBeOfType<ChargePointConnectionReplaced>();
        replaced.OldConnectionId.ShouldBe(connected.ConnectionId);
        replaced.NewConnectionId.ShouldNotBe(connected.ConnectionId);
        events[^1].Data.ShouldBeOfType<ConnectorStatusChanged>();
    }

    private static string Expand(string template, ChargePointCredentials credentials) => template
        .Replace("{b64:nocolon}", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.Id + credentials.Password)), StringComparison.Ordinal)
        .Replace("Basic {id}:wrong-password-0123456789", FakeChargePoint.BasicAuthorization(credentials.Id, "wrong-password-0123456789"), StringComparison.Ordinal)
        .Replace("Basic OTHER-CP:{password}", FakeChargePoint.BasicAuthorization("OTHER-CP", credentials.Password), StringComparison.Ordinal)
        .Replace("Basic {ID}:{password}", FakeChargePoint.BasicAuthorization(credentials.Id.ToUpperInvariant(), credentials.Password), StringComparison.Ordinal)
        .Replace("{lower}", credentials.Id.ToLowerInvariant(), StringComparison.Ordinal)
        .Replace("{ID}", credentials.Id.ToUpperInvariant(), StringComparison.Ordinal)
        .Replace("{id}", credentials.Id, StringComparison.Ordinal)
        .Replace("{password}", credentials.Password, StringComparison.Ordinal);
}
