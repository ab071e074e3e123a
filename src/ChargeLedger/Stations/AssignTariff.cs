using System.Security.Claims;
using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Tariffs;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.Stations;

/// <summary>PUT /api/stations/{id}/tariff (CONTRACT.md Provisioning); <see cref="ValidFrom"/> defaults to now.</summary>
public sealed record AssignTariff(string TariffId, DateTimeOffset? ValidFrom)
{
    public sealed class Validator : AbstractValidator<AssignTariff>
    {
        public Validator() => RuleFor(x => x.TariffId).MustBeLedgerId();
    }
}

public sealed record TariffAssignmentResponse(string StationId, string TariffId, DateTimeOffset ValidFrom, DateTimeOffset AssignedAt);

public sealed record AssignTariffContext(Station? Station, TariffHistory Tariff);

public static class AssignTariffEndpoint
{
    public static Task<ProblemDetails> ValidateAsync(AssignTariff command, IValidator<AssignTariff> validator) =>
        Validation.ProblemsAsync(command, validator);

    public static async Task<AssignTariffContext> LoadAsync(string id, AssignTariff command, LedgerStore store, CancellationToken cancellationToken)
    {
        var station = store.LoadStationAsync(id, cancellationToken);
        var tariff = store.LoadTariffAsync(command.TariffId, cancellationToken);
        await Task.WhenAll(station, tariff);
        return new AssignTariffContext(await station, await tariff);
    }

    /// <summary>
    /// 200 with the assignment; repeating an assignment with the same tariff and validFrom records nothing new.
    /// 404 for an unknown station, 400 (on tariffId) for a tariff never published. An assignment may be scheduled
    /// ahead (validFrom in the future) and may be backdated; sessions already priced are only changed by a re-rating.
    /// </summary>
    [WolverinePut("/api/stations/{id}/tariff")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static IResult Put(string id, AssignTariff command, AssignTariffContext context, IDocumentSession session, ClaimsPrincipal user,
        TimeProvider time)
    {
        if (context.Station is not { } station)
        {
            return Validation.NotFound($"Unknown station {id}.");
        }

        if (!context.Tariff.Exists)
        {
            return Validation.Invalid("tariffId", $"Unknown tariff {command.TariffId}; publish it first.");
        }

        var now = time.GetUtcNow();
        var validFrom = command.ValidFrom ?? now;
        if (station.TariffAssignments.LastOrDefault(a => a.TariffId == command.TariffId && a.ValidFrom == validFrom) is { } same)
        {
            return Results.Ok(new TariffAssignmentResponse(station.Id, same.TariffId, same.ValidFrom, same.AssignedAt));
        }

        session.Events.Append(StreamKeys.Station(station.Id), station.Version + 1,
            new TariffAssignedToStation(station.Id, command.TariffId, validFrom, user.Identity?.Name ?? "", now));
        return Results.Ok(new TariffAssignmentResponse(station.Id, command.TariffId, validFrom, now));
    }
}
