using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.ChargePoints;

public sealed record RegisterChargePoint(string Id, string StationId, string? Password)
{
    public sealed class Validator : AbstractValidator<RegisterChargePoint>
    {
        public Validator()
        {
            RuleFor(x => x.Id).MustBeLedgerId();
            RuleFor(x => x.StationId).MustBeLedgerId();
            // OCPP security whitepaper: Basic-auth passwords are 16-40 printable ASCII characters.
            RuleFor(x => x.Password!).MustBePassword(40).When(x => x.Password is not null);
        }
    }
}

/// <summary>The password is echoed only when the platform generated it (CONTRACT.md).</summary>
public sealed record ChargePointRegistration(
    string Id,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Password);

public sealed record RegisterChargePointContext(Station? Station, ChargePoint? Existing, ChargePointCredential? Credential);

public static class RegisterChargePointEndpoint
{
    public static Task<ProblemDetails> ValidateAsync(RegisterChargePoint command, IValidator<RegisterChargePoint> validator) =>
        Validation.ProblemsAsync(command, validator);

    public static async Task<RegisterChargePointContext> LoadAsync(RegisterChargePoint command, LedgerStore store, IQuerySession session,
        CancellationToken cancellationToken) =>
        new(await store.LoadStationAsync(command.StationId, cancellationToken),
            (await store.LoadChargePointAsync(command.Id, cancellationToken))?.ChargePoint,
            await session.LoadAsync<ChargePointCredential>(command.Id, cancellationToken));

    /// <summary>
    /// 201 with the password echoed only when it was generated. Registering the same charge point again (same station,
    /// same or no password) is 200; anything else on an existing id is 409: a password is never silently replaced.
    /// </summary>
    [WolverinePost("/api/chargepoints")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static IResult Post(RegisterChargePoint command, RegisterChargePointContext context, IDocumentSession session,
        PasswordHasher hasher, TimeProvider time)
    {
        if (context.Station is null)
        {
            return Validation.Invalid("stationId", $"Unknown station {command.StationId}.");
        }

        if (context.Existing is { } existing)
        {
            var same = existing.StationId == command.StationId &&
                       (command.Password is null ||
                        (context.Credential is { } c && hasher.Check(command.Password, c.PasswordHash, c.PasswordVerifier).Valid));
            return same
                ? Results.Ok(new ChargePointRegistration(command.Id, null))
                : Validation.Conflict($"Charge point {command.Id} is registered with other data.");
        }

        var (password, stored) = command.Password is { } chosen ? (chosen, hasher.Hash(chosen)) : PasswordHasher.Generated();
        session.Events.StartStream(StreamKeys.ChargePoint(command.Id), new ChargePointRegistered(command.Id, command.StationId, time.GetUtcNow()));
        session.Store(new ChargePointCredential
        {
            Id = command.Id,
            PasswordHash = stored,
            PasswordVerifier = command.Password is null ? null : hasher.KeyedVerifier(password, stored),
        });
        return Results.Created($"/api/chargepoints/{command.Id}",
            new ChargePointRegistration(command.Id, command.Password is null ? password : null));
    }
}
