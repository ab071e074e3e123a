using System.Security.Claims;
using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using FluentValidation;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.Transactions;

/// <summary>
/// POST /api/transactions/{id}/reprice (finance): re-rate a priced session, e.g. after a tariff correction. Without
/// <see cref="TariffId"/> the tariff it was priced with is used (or, if it was priced at zero for want of one, the one now
/// assigned to the station at its start); without <see cref="TariffVersion"/> the version now in force at its start, so a
/// correction published with a backdated validFrom is picked up.
/// </summary>
public sealed record RepriceTransaction(string Reason, string? TariffId, int? TariffVersion)
{
    public sealed class Validator : AbstractValidator<RepriceTransaction>
    {
        public Validator()
        {
            RuleFor(x => x.Reason).NotEmpty().WithMessage("Say why the session is re-rated.").MaximumLength(500);
            RuleFor(x => x.TariffId!).MustBeLedgerId().When(x => x.TariffId is not null);
            RuleFor(x => x.TariffVersion).GreaterThanOrEqualTo(1).When(x => x.TariffVersion is not null);
        }
    }
}

public enum RepriceStatus
{
    Repriced,
    UnknownTransaction,
    NotStopped,
    NotPriced,
    UnknownTariff,
    UnknownTariffVersion,
    NoTariff,
    CurrencyChange,
}

public sealed record RepriceOutcome(RepriceStatus Status, string Detail, TransactionRepriced? Repriced = null);

public static class RepriceTransactionHandler
{
    /// <summary>
    /// Pure. The new pricing is complete and becomes the effective one; the adjustment is new totals − the totals effective
    /// before, so the original pricing plus every adjustment always equals the effective totals. Re-rating with the
    /// same tariff version is a zero adjustment, still recorded (who asked and why). A tariff in another currency than the
    /// session was priced in is refused: a difference across currencies is not a credit or debit note.
    /// </summary>
    public static Decision<RepriceOutcome> Decide(RepriceTransaction command, PricingInputs inputs, string requestedBy, DateTimeOffset now)
    {
        if (inputs.Transaction is not { } record)
        {
            return Refuse(RepriceStatus.UnknownTransaction, "Unknown transaction.");
        }

        var tx = record.State;
        if (!tx.IsStopped)
        {
            return Refuse(RepriceStatus.NotStopped, $"Transaction {tx.Id} has not stopped; it is priced when it stops.");
        }

        if (tx.Pricing is not { } previous)
        {
            return Refuse(RepriceStatus.NotPriced, $"Transaction {tx.Id} is not priced yet; re-rate it once it is.");
        }

        if (command.TariffId is not null && inputs.Tariff is not { Exists: true })
        {
            return Refuse(RepriceStatus.UnknownTariff, $"Unknown tariff {command.TariffId}.");
        }

        if (inputs.Tariff is not { Exists: true } history)
        {
            return Refuse(RepriceStatus.NoTariff,
                $"Transaction {tx.Id} has no tariff to re-rate with: none was assigned to station {tx.StationId} at its start; name a tariffId.");
        }

        Tariff? tariff;
        if (command.TariffVersion is { } version)
        {
            tariff = history.Version(version);
            if (tariff is null)
            {
                return Refuse(RepriceStatus.UnknownTariffVersion, $"Tariff {history.TariffId} has no version {version}.");
            }
        }
        else
        {
            tariff = history.InForceAt(tx.StartedAt);
            if (tariff is null)
            {
                return Refuse(RepriceStatus.NoTariff,
                    $"Tariff {history.TariffId} had no version valid at {TransactionPricing.Iso(tx.StartedAt)}; name a tariffVersion.");
            }
        }

        if (previous.Currency is { } currency && currency != tariff.Currency)
        {
            return Refuse(RepriceStatus.CurrencyChange,
                $"Transaction {tx.Id} is priced in {currency}; tariff {tariff.Id} version {tariff.Version} is in {tariff.Currency}.");
        }

        var pricing = TariffPricing.Price(tariff, StationClock.Zone(TransactionPricing.TimeZoneOf(inputs.Station)),
            TransactionPricing.Usage(record, inputs.StatusChanges));
        var repriced = new TransactionRepriced(tx.Id, command.Reason, requestedBy, previous.TariffId, previous.TariffVersion, pricing,
            pricing.TotalCostExclVat - previous.TotalCostExclVat, pricing.TotalVat - previous.TotalVat,
            pricing.TotalCostInclVat - previous.TotalCostInclVat, now);
        return Decision.Of(new RepriceOutcome(RepriceStatus.Repriced, "", repriced), new LedgerChange(
            [new StreamAppend(StreamKeys.Transaction(tx.Id), tx.Version, [repriced], record.LastHash)], [], []));
    }

    private static Decision<RepriceOutcome> Refuse(RepriceStatus status, string detail) => Decision.Nothing(new RepriceOutcome(status, detail));
}

public sealed record RepriceResponse(
    string TransactionId,
    string? TariffId,
    int? TariffVersion,
    string? Currency,
    string? PreviousTariffId,
    int? PreviousTariffVersion,
    decimal TotalCostExclVat,
    decimal TotalVat,
    decimal TotalCostInclVat,
    decimal AdjustmentExclVat,
    decimal AdjustmentVat,
    decimal AdjustmentInclVat,
    string Reason,
    string RequestedBy,
    DateTimeOffset RepricedAt)
{
    public static RepriceResponse From(TransactionRepriced e) => new(e.TransactionId, e.Pricing.TariffId, e.Pricing.TariffVersion,
        e.Pricing.Currency, e.PreviousTariffId, e.PreviousTariffVersion, e.Pricing.TotalCostExclVat, e.Pricing.TotalVat,
        e.Pricing.TotalCostInclVat, e.AdjustmentExclVat, e.AdjustmentVat, e.AdjustmentInclVat, e.Reason, e.RequestedBy, e.RepricedAt);
}

public static class RepriceTransactionEndpoint
{
    private const int MaxAttempts = 3;

    public static Task<ProblemDetails> ValidateAsync(RepriceTransaction command, IValidator<RepriceTransaction> validator) =>
        Validation.ProblemsAsync(command, validator);

    public static Task<PricingInputs> LoadAsync(string id, RepriceTransaction command, LedgerStore store, CancellationToken cancellationToken) =>
        store.LoadPricingInputsAsync(id, command.TariffId, cancellationToken);

    /// <summary>
    /// 200 with the new totals and the adjustment; 404 unknown transaction ("CP-1:42"); 409 not stopped, not priced yet,
    /// nothing to re-rate with, or another currency; 400 unknown tariffId / tariffVersion. The append is hash-chained
    /// through the ledger's group commit; if another event reached the stream first, it is decided again on fresh state.
    /// </summary>
    [WolverinePost("/api/transactions/{id}/reprice")]
    [Authorize(Roles = Roles.FinanceOrAdmin)]
    public static async Task<IResult> Post(string id, RepriceTransaction command, PricingInputs inputs, ClaimsPrincipal user, LedgerStore store,
        LedgerWriter writer, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var decision = RepriceTransactionHandler.Decide(command, inputs, user.Identity?.Name ?? "", time.GetUtcNow());
            var outcome = decision.Result;
            if (outcome.Repriced is not { } repriced)
            {
                return outcome.Status switch
                {
                    RepriceStatus.UnknownTransaction => Validation.NotFound($"Unknown transaction {id}."),
                    RepriceStatus.UnknownTariff => Validation.Invalid("tariffId", outcome.Detail),
                    RepriceStatus.UnknownTariffVersion => Validation.Invalid("tariffVersion", outcome.Detail),
                    _ => Validation.Conflict(outcome.Detail),
                };
            }

            try
            {
                await writer.CommitAsync(decision.Change, CancellationToken.None);
                return Results.Ok(RepriceResponse.From(repriced));
            }
            catch (Exception ex) when (attempt < MaxAttempts && LedgerPipeline.IsConflict(ex))
            {
                inputs = await store.LoadPricingInputsAsync(id, command.TariffId, cancellationToken);
            }
        }
    }
}
