using System.Security.Claims;
using System.Text.RegularExpressions;
using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.Tariffs;

/// <summary>
/// POST /api/tariffs (CONTRACT.md Tariffs). Fields are nullable so that a missing price or type is reported as such
/// rather than silently read as 0; <see cref="ToElements"/> maps a validated request onto the stored definition.
/// </summary>
public sealed partial record PublishTariff(string Id, string Currency, DateTimeOffset? ValidFrom, IReadOnlyList<PublishTariff.Element>? Elements)
{
    public const int MaxElements = 100;
    public const int MaxComponents = 4;

    // Bounds the pricing arithmetic (decimal numerators of energy x price x VAT) well inside decimal's range,
    // while leaving room for currencies with large units (IDR, VND).
    public const decimal MaxPrice = 10_000_000m;

    public sealed record Element(IReadOnlyList<Component>? PriceComponents, TariffRestrictions? Restrictions);

    public sealed record Component(string? Type, decimal? Price, decimal? VatPercent, int? StepSize);

    /// <summary>OCPI: no VAT given means none applies; a step size left out of ENERGY/TIME/PARKING_TIME is 1 (Wh or s).</summary>
    public IReadOnlyList<TariffElement> ToElements() =>
    [
        .. Elements!.Select(e => new TariffElement(
            [.. e.PriceComponents!.Select(c => new PriceComponent(c.Type!, c.Price!.Value, c.VatPercent ?? 0m,
                c.Type == ComponentTypes.Flat ? null : c.StepSize ?? 1))],
            e.Restrictions)),
    ];

    public sealed class Validator : AbstractValidator<PublishTariff>
    {
        public Validator()
        {
            RuleFor(x => x.Id).MustBeLedgerId();
            RuleFor(x => x.Currency).Must(Iso4217.IsKnown).WithMessage("Must be an ISO 4217 currency code in upper case, e.g. EUR.");
            RuleFor(x => x.Elements).NotEmpty().WithMessage("At least one tariff element is required.");
            RuleFor(x => x.Elements).Must(e => e!.Count <= MaxElements).WithMessage($"At most {MaxElements} elements.").When(x => x.Elements is not null);
            RuleForEach(x => x.Elements).NotNull().SetValidator(new ElementValidator());
        }
    }

    private sealed class ElementValidator : AbstractValidator<Element>
    {
        public ElementValidator()
        {
            RuleFor(x => x.PriceComponents).NotEmpty().WithMessage("At least one price component is required.");
            RuleFor(x => x.PriceComponents).Must(c => c!.Count <= MaxComponents).WithMessage($"At most {MaxComponents} price components.")
                .Must(c => c!.Where(x => x?.Type is not null).GroupBy(x => x!.Type).All(g => g.Count() == 1))
                .WithMessage("Each component type may appear only once per element.")
                .When(x => x.PriceComponents is not null);
            RuleForEach(x => x.PriceComponents).NotNull().SetValidator(new ComponentValidator());
            RuleFor(x => x.Restrictions!).SetValidator(new RestrictionsValidator()).When(x => x.Restrictions is not null);
        }
    }

    private sealed class ComponentValidator : AbstractValidator<Component>
    {
        public ComponentValidator()
        {
            RuleFor(x => x.Type).Must(t => t is not null && ComponentTypes.All.Contains(t))
                .WithMessage("Must be ENERGY, TIME, PARKING_TIME or FLAT.");
            RuleFor(x => x.Price).NotNull().WithMessage("A price is required.")
                .InclusiveBetween(0m, MaxPrice).WithMessage($"Must be between 0 and {MaxPrice}.")
                .Must(p => p is null || HasAtMostFourDecimals(p.Value)).WithMessage("At most 4 decimals.");
            RuleFor(x => x.VatPercent).InclusiveBetween(0m, 100m).WithMessage("Must be between 0 and 100.")
                .Must(v => v is null || HasAtMostFourDecimals(v.Value)).WithMessage("At most 4 decimals.");
            RuleFor(x => x.StepSize).Null().WithMessage("FLAT has no step size.").When(x => x.Type == ComponentTypes.Flat);
            RuleFor(x => x.StepSize).GreaterThanOrEqualTo(1).WithMessage("Must be at least 1 (Wh for ENERGY, seconds for TIME and PARKING_TIME).")
                .When(x => x.StepSize is not null && x.Type != ComponentTypes.Flat);
        }
    }

    private sealed class RestrictionsValidator : AbstractValidator<TariffRestrictions>
    {
        public RestrictionsValidator()
        {
            RuleFor(x => x.StartTime).Must(IsTimeOfDay!).WithMessage("Must be HH:MM, 00:00-23:59.").When(x => x.StartTime is not null);
            RuleFor(x => x.EndTime).Must(IsTimeOfDay!).WithMessage("Must be HH:MM, 00:00-23:59.").When(x => x.EndTime is not null);
            RuleFor(x => x.EndTime).NotEqual(x => x.StartTime).WithMessage("Must differ from startTime.")
                .When(x => x.StartTime is not null && x.EndTime is not null);
            RuleFor(x => x.DaysOfWeek).NotEmpty().WithMessage("Leave daysOfWeek out, or name at least one day.").When(x => x.DaysOfWeek is not null);
            RuleForEach(x => x.DaysOfWeek).Must(DayNames.IsKnown).WithMessage("Must be MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY or SUNDAY.");
            RuleFor(x => x.MinKwh).GreaterThanOrEqualTo(0m).When(x => x.MinKwh is not null);
            RuleFor(x => x.MaxKwh).GreaterThan(0m).When(x => x.MaxKwh is not null);
            RuleFor(x => x.MaxKwh).GreaterThan(x => x.MinKwh).WithMessage("Must be greater than minKwh.")
                .When(x => x.MinKwh is not null && x.MaxKwh is not null);
            RuleFor(x => x.MinDurationSeconds).GreaterThanOrEqualTo(0).When(x => x.MinDurationSeconds is not null);
            RuleFor(x => x.MaxDurationSeconds).GreaterThan(0).When(x => x.MaxDurationSeconds is not null);
            RuleFor(x => x.MaxDurationSeconds).GreaterThan(x => x.MinDurationSeconds).WithMessage("Must be greater than minDurationSeconds.")
                .When(x => x.MinDurationSeconds is not null && x.MaxDurationSeconds is not null);
        }
    }

    public static bool HasAtMostFourDecimals(decimal value) => decimal.Round(value, 4) == value;

    /// <summary>OCPI 2.2.1 TariffRestrictions start_time/end_time: ([0-1][0-9]|2[0-3]):[0-5][0-9].</summary>
    public static bool IsTimeOfDay(string value) => TimeOfDay().IsMatch(value);

    [GeneratedRegex("^([01][0-9]|2[0-3]):[0-5][0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeOfDay();
}

/// <summary>A published tariff version as the API shows it.</summary>
public sealed record TariffVersionResponse(
    string Id,
    int Version,
    string Currency,
    DateTimeOffset ValidFrom,
    DateTimeOffset PublishedAt,
    string PublishedBy,
    IReadOnlyList<TariffElement> Elements)
{
    public static TariffVersionResponse From(TariffPublished e) =>
        new(e.TariffId, e.Version, e.Currency, e.ValidFrom, e.PublishedAt, e.PublishedBy, e.Elements);
}

public static class PublishTariffEndpoint
{
    public static Task<ProblemDetails> ValidateAsync(PublishTariff command, IValidator<PublishTariff> validator) =>
        Validation.ProblemsAsync(command, validator);

    public static Task<TariffHistory> LoadAsync(PublishTariff command, LedgerStore store, CancellationToken cancellationToken) =>
        store.LoadTariffAsync(command.Id, cancellationToken);

    /// <summary>
    /// Every publication is a new version (201), never an edit: sessions already priced keep the version they were
    /// priced with, and a correction is applied by re-rating them. A tariff keeps its currency across versions (409
    /// otherwise), so a re-rating's difference is always in one currency. Concurrent publications of one id are
    /// serialised by the expected stream version.
    /// </summary>
    [WolverinePost("/api/tariffs")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static IResult Post(PublishTariff command, TariffHistory history, IDocumentSession session, ClaimsPrincipal user, TimeProvider time)
    {
        if (history.Currency is { } currency && currency != command.Currency)
        {
            return Validation.Conflict($"Tariff {command.Id} is priced in {currency}; a new version must keep that currency.");
        }

        var now = time.GetUtcNow();
        var published = new TariffPublished(command.Id, history.Versions.Count + 1, command.Currency, command.ToElements(),
            command.ValidFrom ?? now, user.Identity?.Name ?? "", now);
        var stream = StreamKeys.Tariff(command.Id);
        if (history.StreamVersion == 0)
        {
            session.Events.StartStream(stream, published);
        }
        else
        {
            session.Events.Append(stream, history.StreamVersion + 1, published);
        }

        return Results.Created($"/api/tariffs/{command.Id}", TariffVersionResponse.From(published));
    }
}

public sealed record TariffResponse(string Id, string Currency, IReadOnlyList<TariffVersionResponse> Versions);

public static class TariffEndpoints
{
    [WolverineGet("/api/tariffs/{id}")]
    [Authorize(Roles = Roles.OperatorFinanceOrAdmin)]
    public static async Task<IResult> Get(string id, LedgerStore store, CancellationToken cancellationToken) =>
        await store.LoadTariffAsync(id, cancellationToken) is { Exists: true } history
            ? Results.Ok(new TariffResponse(id, history.Currency!, [.. history.Versions.Select(TariffVersionResponse.From)]))
            : Validation.NotFound($"Unknown tariff {id}.");
}
