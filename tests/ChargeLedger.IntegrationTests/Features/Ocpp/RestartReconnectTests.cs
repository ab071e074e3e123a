using System.Net;
using System.Net.Http.Json;
using ChargeLedger.Access;
using ChargeLedger.ChargePoints;
using ChargeLedger.Gateways;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Mqtt.Broker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace ChargeLedger.IntegrationTests.Features.Ocpp;

[CollectionDefinition]
public sealed class RestartReconnectCollection;

/// <summary>
/// RELIABILITY H2 for passwords an operator chose (PBKDF2, ~0.2 s of CPU per check in production): with a password
/// verifier key, charge points and gateways reconnecting to a restarted node are admitted without the slow hash, which
/// each of them costs once per key, not once per process. Counted by the hasher, not timed. Hosts are started and
/// stopped on one database, as a node restarting would be.
/// </summary>
[Collection(typeof(RestartReconnectCollection))]
public sealed class RestartReconnectTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_restarted_node_admits_chosen_passwords_without_the_slow_hash_and_still_refuses_wrong_ones()
    {
        var key = PasswordVerifierKey.NewBase64();
        string database, stationId;
        ChargePointCredentials legacy;
        // A node without a key stores no verifier, as every credential stored before verifiers existed.
        await using (var unkeyed = new LedgerHost(server))
        {
            await unkeyed.InitializeAsync();
            database = unkeyed.ConnectionString;
            stationId = await unkeyed.RegisteredStationAsync();
            legacy = await RegisterChosenAsync(unkeyed, stationId);
            (await CredentialAsync(unkeyed, legacy.Id)).PasswordVerifier.ShouldBeNull();
        }

        List<ChargePointCredentials> chosen = [];
        (string Id, string Password) gateway;
        await using (var keyed = HostOn(database, key))
        {
            await keyed.InitializeAsync();
            for (var i = 0; i < 24; i++)
            {
                chosen.Add(await RegisterChosenAsync(keyed, stationId));
            }

            gateway = await RegisterChosenGatewayAsync(keyed, stationId);
            (await CredentialAsync(keyed, chosen[0].Id)).PasswordVerifier.ShouldStartWith("hmac-sha256-key$");

            // The credential from before: its first connection to a keyed node checks the slow hash once and stores a verifier.
            await (await keyed.ConnectedAsync(legacy)).DisposeAsync();
            Hasher(keyed).SlowChecks.ShouldBe(1);
            (await CredentialAsync(keyed, legacy.Id)).PasswordVerifier.ShouldStartWith("hmac-sha256-key$");
        }

        await using var restarted = HostOn(database, key);
        await restarted.InitializeAsync();

        // Everyone at once, as after a restart.
        var sockets = await Task.WhenAll(chosen.Append(legacy).Select(restarted.ConnectedAsync));
        var (mqtt, connected) = await ConnectGatewayAsync(restarted, gateway.Id, gateway.Password);
        using (mqtt)
        {
            connected.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);
        }

        Hasher(restarted).SlowChecks.ShouldBe(0);
        foreach (var socket in sockets)
        {
            socket.IsOpen.ShouldBeTrue();
            await socket.DisposeAsync();
        }

        // A wrong password is still refused, by the slow hash as before (a verifier never rejects by itself).
        (await FakeChargePoint.HandshakeAsync(restarted.BaseAddress, $"/ocpp/{legacy.Id}",
            FakeChargePoint.BasicAuthorization(legacy.Id, "not-the-password-0123"))).StatusCode.ShouldBe(401);
        var (refused, refusal) = await ConnectGatewayAsync(restarted, gateway.Id, "not-the-password-0123");
        refused.Dispose();
        refusal.ResultCode.ShouldBe(MqttClientConnectResultCode.BadUserNameOrPassword);
        Hasher(restarted).SlowChecks.ShouldBe(2);
    }

    [Fact]
    public async Task a_node_with_another_key_checks_the_slow_hash_once_and_replaces_the_verifier()
    {
        string database;
        ChargePointCredentials credentials;
        string firstVerifier;
        await using (var first = HostOn(null, PasswordVerifierKey.NewBase64()))
        {
            await first.InitializeAsync();
            database = first.ConnectionString;
            credentials = await RegisterChosenAsync(first, await first.RegisteredStationAsync());
            firstVerifier = (await CredentialAsync(first, credentials.Id)).PasswordVerifier.ShouldNotBeNull();
        }

        var otherKey = PasswordVerifierKey.NewBase64();
        await using (var rekeyed = HostOn(database, otherKey))
        {
            await rekeyed.InitializeAsync();
            await (await rekeyed.ConnectedAsync(credentials)).DisposeAsync();
            await (await rekeyed.ConnectedAsync(credentials)).DisposeAsync();

            Hasher(rekeyed).SlowChecks.ShouldBe(1);
            var replaced = (await CredentialAsync(rekeyed, credentials.Id)).PasswordVerifier.ShouldNotBeNull();
            replaced.ShouldNotBe(firstVerifier);
            replaced.ShouldStartWith($"hmac-sha256-key${new PasswordVerifierKey(Convert.FromBase64String(otherKey)).Id}$");
        }

        await using var restarted = HostOn(database, otherKey);
        await restarted.InitializeAsync();
        await (await restarted.ConnectedAsync(credentials)).DisposeAsync();
        Hasher(restarted).SlowChecks.ShouldBe(0);
    }

    [Fact]
    public async Task a_verifier_is_stored_only_beside_the_hash_it_was_made_for()
    {
        await using var host = HostOn(null, PasswordVerifierKey.NewBase64());
        await host.InitializeAsync();
        var credentials = await RegisterChosenAsync(host, await host.RegisteredStationAsync());
        var ledger = host.Services.GetRequiredService<Ledger.LedgerStore>();
        var stored = await CredentialAsync(host, credentials.Id);

        (await ledger.StorePasswordVerifierAsync<ChargePointCredential>(credentials.Id, "pbkdf2-sha256$1000$b3RoZXI=$b3RoZXI=", "stale", Ct))
            .ShouldBeFalse();
        (await CredentialAsync(host, credentials.Id)).PasswordVerifier.ShouldBe(stored.PasswordVerifier);

        (await ledger.StorePasswordVerifierAsync<ChargePointCredential>(credentials.Id, stored.PasswordHash, "replaced", Ct)).ShouldBeTrue();
        var after = await CredentialAsync(host, credentials.Id);
        (after.PasswordHash, after.PasswordVerifier).ShouldBe((stored.PasswordHash, "replaced"));
    }

    /// <summary>A host with a password verifier key, on an existing database (null: a fresh one).</summary>
    private LedgerHost HostOn(string? connectionString, string verifierKey) => new(server)
    {
        SharedConnectionString = connectionString,
        Configure = builder => builder.Configuration.AddInMemoryCollection([new("ChargeLedger:Security:VerifierKey", verifierKey)]),
    };

    private static PasswordHasher Hasher(LedgerHost host) => host.Services.GetRequiredService<PasswordHasher>();

    private static async Task<ChargePointCredential> CredentialAsync(LedgerHost host, string id)
    {
        await using var session = host.Store.QuerySession();
        return (await session.LoadAsync<ChargePointCredential>(id, Ct)).ShouldNotBeNull();
    }

    private static async Task<ChargePointCredentials> RegisterChosenAsync(LedgerHost host, string stationId)
    {
        var id = LedgerHost.NewId("CP");
        var password = "chosen-" + Guid.NewGuid().ToString("N")[..16];
        var response = await host.Api(Roles.Operator).PostAsJsonAsync("/api/chargepoints", new { id, stationId, password }, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return new ChargePointCredentials(id, password, stationId);
    }

    private static async Task<(string Id, string Password)> RegisterChosenGatewayAsync(LedgerHost host, string stationId)
    {
        var id = LedgerHost.NewId("GW");
        var password = "chosen-" + Guid.NewGuid().ToString("N")[..16];
        var response = await host.Api(Roles.Operator).PostAsJsonAsync("/api/gateways", new { id, stationId, password }, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        await using var session = host.Store.QuerySession();
        (await session.LoadAsync<GatewayAccount>(id, Ct)).ShouldNotBeNull().PasswordVerifier.ShouldStartWith("hmac-sha256-key$");
        return (id, password);
    }

    private static async Task<(IMqttClient Client, MqttClientConnectResult Result)> ConnectGatewayAsync(LedgerHost host, string id, string password)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", host.Services.GetRequiredService<MqttBrokerEndpoints>().Port)
            .WithClientId(id).WithCredentials(id, password).WithTimeout(TimeSpan.FromSeconds(10)).Build();
        return (client, await client.ConnectAsync(options, Ct));
    }
}
