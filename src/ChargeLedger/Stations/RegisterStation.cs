using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.Stations;

public sealed record RegisterStation(string Id, string Name, string TimeZone)
{
    public sealed class Validator : AbstractValidator<RegisterStation>
    {
        public Validator()
        {
            RuleFor(x => x.Id).MustBeLedgerId();
            RuleFor(x => x.Name).NotEmpty().MaximumLength(200);
            RuleFor(x => x.TimeZone).NotEmpty().Must(StationClock.IsKnownZone)
                .WithMessage("Must be an IANA time zone, e.g. Europe/Berlin.");
        }
    }
}

public sealed record StationResponse(string Id, string Name, string TimeZone);

public static class RegisterStationEndpoint
{
    public static Task<ProblemDetails> ValidateAsync(RegisterStation command, IValidator<RegisterStation> validator) =>
        Validation.ProblemsAsync(command, validator);

    public static Task<Station?> LoadAsync(RegisterStation command, LedgerStore store, CancellationToken cancellationToken) =>
        store.LoadStationAsync(command.Id, cancellationToken);

    /// <summary>201 when new, 200 when the same station is registered again, 409 when the id holds other data (CONTRACT.md).</summary>
    [WolverinePost("/api/stations")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static IResult Post(RegisterStation command, Station? existing, IDocumentSession session, TimeProvider time)
    {
        var response = new StationResponse(command.Id, command.Name, command.TimeZone);
        if (existing is not null)
        {
            return existing.Name == command.Name && existing.TimeZone == command.TimeZone
                ? Results.Ok(response)
                : Validation.Conflict($"Station {command.Id} is registered with other data.");
        }

        session.Events.StartStream(StreamKeys.Station(command.Id), new StationRegistered(command.Id, command.Name, command.TimeZone, time.GetUtcNow()));
        return Results.Created($"/api/stations/{command.Id}", response);
    }
}
