using System.Text.Json;
using ChargeLedger.Commands;
using ChargeLedger.Ledger;
using ChargeLedger.Ocpp.Schemas;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wolverine;

namespace ChargeLedger.Ocpp.Gateway;

/// <summary>Operator commands onto the sockets this node holds (<see cref="IChargePointCalls"/>).</summary>
public sealed class ChargePointCalls(
    ConnectionRegistry registry,
    OcppSchemaValidator schemas,
    LedgerPipeline pipeline,
    IServiceScopeFactory scopes,
    ILogger<ChargePointCalls> logger) : IChargePointCalls
{
    public string? Validate(string action, JsonElement payload) =>
        schemas.ValidateRequest(action, payload) is { } violation ? violation.Description : null;

    public bool IsConnected(string chargePointId) => registry.Find(chargePointId) is not null;

    public async Task<CallOutcome> CallAsync(string chargePointId, string action, JsonElement payload, Func<string, Task> sent,
        Func<CallOutcome, Task> lateReply, Func<ChargePointLedger, CallOutcome, object?> effect, CancellationToken cancellationToken)
    {
        if (registry.Find(chargePointId) is not { } connection)
        {
            return new CallOutcome(CallOutcomeKind.NotConnected, ErrorDescription: "The charge point is not connected");
        }

        var outcome = await connection.EnqueueCallAsync(action, payload, sent, lateReply, cancellationToken);
        if (outcome.Kind == CallOutcomeKind.Result)
        {
            await ApplyEffectAsync(connection, outcome, effect, cancellationToken);
        }

        return outcome;
    }

    /// <summary>What the charge point accepted becomes a fact on its stream, decided in order with its own messages.</summary>
    private async Task ApplyEffectAsync(ChargePointConnection connection, CallOutcome outcome, Func<ChargePointLedger, CallOutcome, object?> effect,
        CancellationToken cancellationToken)
    {
        try
        {
            await connection.ExclusiveAsync(async () =>
            {
                if (effect(connection.Ledger, outcome) is not { } command)
                {
                    return false;
                }

                await using var scope = scopes.CreateAsyncScope();
                return await pipeline.ExecuteAsync<bool>(scope.ServiceProvider.GetRequiredService<IMessageBus>(), connection.Ledger, command, cancellationToken);
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not record the effect of a command on {ChargePointId}", connection.ChargePointId);
        }
    }
}
