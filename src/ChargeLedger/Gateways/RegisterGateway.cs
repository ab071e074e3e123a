using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using ChargeLedger.Telemetry;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.Gateways;

/// <summary>POST /api/gateways (CONTRACT.md MQTT). <see cref="TopicPrefix"/> defaults to Neuron's layout, "/neuron/{id}".</summary>
public sealed record RegisterGateway(string Id, string StationId, string? Password, string? TopicPrefix)
{
    public const int MaxTopicPrefixLength = 200;

    public sealed class Validator : AbstractValidator<RegisterGateway>
    {
        public Validator()
        {
            RuleFor(x => x.Id).MustBeLedgerId();
            RuleFor(x => x.StationId).MustBeLedgerId();
            RuleFor(x => x.Password!).MustBePassword(64).When(x => x.Password is not null);
            RuleFor(x => x.TopicPrefix!).Must(IsValidTopicPrefix)
                .WithMessage("Must be an MQTT topic of 1-200 characters without wildcards ('+', '#'), not starting with '$', " +
                             "not ending with '/', without empty levels after the first.")
                .When(x => x.TopicPrefix is not null);
        }
    }

    /// <summary>
    /// A prefix a gateway publishes under: no wildcards or NUL (MQTT 3.1.1 §4.7.1), not a '$' system topic (§4.7.2), and
    /// no empty levels except Neuron's leading '/', so "owns by whole levels" is unambiguous.
    /// </summary>
    public static bool IsValidTopicPrefix(string? prefix) =>
        prefix is { Length: > 0 and <= MaxTopicPrefixLength }
        && prefix.IndexOfAny(['+', '#', '\0']) < 0
        && !prefix.StartsWith('$')
        && !prefix.EndsWith('/')
        && !prefix.TrimStart('/').Contains("//", StringComparison.Ordinal)
        && prefix.TrimStart('/').Length > 0
        && !prefix.StartsWith("//", StringComparison.Ordinal);

    public string EffectiveTopicPrefix => TopicPrefix ?? $"/neuron/{Id}";
}

/// <summary>The password is echoed only when the platform generated it, as for charge points.</summary>
public sealed record GatewayRegistration(
    string Id,
    string StationId,
    string TopicPrefix,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Password);

public sealed record RegisterGatewayContext(Station? Station, GatewayAccount? Existing, IReadOnlyList<GatewayAccount> Overlapping);

public static class RegisterGatewayEndpoint
{
    public static Task<ProblemDetails> ValidateAsync(RegisterGateway command, IValidator<RegisterGateway> validator) =>
        Validation.ProblemsAsync(command, validator);

    public static async Task<RegisterGatewayContext> LoadAsync(RegisterGateway command, LedgerStore store, IQuerySession session,
        CancellationToken cancellationToken)
    {
        var prefix = command.EffectiveTopicPrefix;
        // A topic must belong to one gateway only (external-broker messages are routed by topic), so no prefix may lie
        // under another. Gateways are few (one per station or cabinet); reading them all is cheap.
        var accounts = await session.Query<GatewayAccount>().ToListAsync(cancellationToken);
        return new RegisterGatewayContext(
            await store.LoadStationAsync(command.StationId, cancellationToken),
            accounts.FirstOrDefault(a => a.Id == command.Id),
            [.. accounts.Where(a => a.Id != command.Id && (Gateway.OwnsTopic(a.TopicPrefix, prefix) || Gateway.OwnsTopic(prefix, a.TopicPrefix)))]);
    }

    /// <summary>
    /// 201 with the password echoed only when generated; the same registration again (same station and prefix, same or no
    /// password) is 200; anything else on an existing id, or a prefix overlapping another gateway's, is 409.
    /// </summary>
    [WolverinePost("/api/gateways")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static IResult Post(RegisterGateway command, RegisterGatewayContext context, IDocumentSession session, PasswordHasher hasher,
        TelemetryIngestion ingestion, TimeProvider time)
    {
        if (context.Station is null)
        {
            return Validation.Invalid("stationId", $"Unknown station {command.StationId}.");
        }

        var prefix = command.EffectiveTopicPrefix;
        if (context.Existing is { } existing)
        {
            var same = existing.StationId == command.StationId && existing.TopicPrefix == prefix &&
                       (command.Password is null || hasher.Check(command.Password, existing.PasswordHash, existing.PasswordVerifier).Valid);
            return same
                ? Results.Ok(new GatewayRegistration(command.Id, command.StationId, prefix, null))
                : Validation.Conflict($"Gateway {command.Id} is registered with other data.");
        }

        if (context.Overlapping.Count > 0)
        {
            return Validation.Conflict($"Topic prefix {prefix} overlaps that of gateway {context.Overlapping[0].Id} ({context.Overlapping[0].TopicPrefix}).");
        }

        var (password, stored) = command.Password is { } chosen ? (chosen, hasher.Hash(chosen)) : PasswordHasher.Generated();
        session.Events.StartStream(StreamKeys.Gateway(command.Id), new GatewayRegistered(command.Id, command.StationId, prefix, time.GetUtcNow()));
        session.Store(new GatewayAccount
        {
            Id = command.Id,
            StationId = command.StationId,
            TopicPrefix = prefix,
            PasswordHash = stored,
            PasswordVerifier = command.Password is null ? null : hasher.KeyedVerifier(password, stored),
        });
        ingestion.Forget(command.Id);
        return Results.Created($"/api/gateways/{command.Id}",
            new GatewayRegistration(command.Id, command.StationId, prefix, command.Password is null ? password : null));
    }
}
