using System.Collections.Concurrent;
using System.Text.Json;
using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChargeLedger.Commands;

/// <summary>
/// Runs an operator command's life (issue 5): CommandRequested is committed before the 202, then the CALL is queued on
/// the charge point's connection; CommandSent, the outcome and any late reply are appended to the command's stream as
/// they happen, so support sees where a command got to even if this node stops half-way.
/// </summary>
public sealed class CommandDispatcher(IDocumentStore store, IChargePointCalls calls, LedgerStore ledger, NodeIdentity node,
    Microsoft.Extensions.Options.IOptions<CommandRelayOptions> relay, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<CommandDispatcher> logger)
{
    /// <summary>Status values that mean success in OCPP 1.6 answers (CONTRACT.md): Accepted, Unlocked (UnlockConnector), Scheduled (ChangeAvailability).</summary>
    private static readonly HashSet<string> SuccessStatuses = new(StringComparer.Ordinal) { "Accepted", "Unlocked", "Scheduled" };

    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _claimed = new(StringComparer.Ordinal);

    public string? Validate(string action, JsonElement payload) => calls.Validate(action, payload);

    /// <summary>Records the request and starts the call; a charge point not connected here fails the command at once.</summary>
    public async Task<Command> RequestAsync(string chargePointId, string action, JsonElement payload, string requestedBy, CancellationToken cancellationToken)
    {
        var commandId = "cmd-" + Guid.CreateVersion7().ToString("N");
        var now = time.GetUtcNow();
        var requested = new CommandRequested(commandId, chargePointId, action, payload.Clone(), requestedBy, now);
        var here = calls.IsConnected(chargePointId);
        var elsewhere = !here && relay.Value.Enabled && await ConnectedElsewhereAsync(chargePointId, cancellationToken);
        await using var session = store.LightweightSession();
        if (!here && !elsewhere)
        {
            var failed = new CommandFailed(commandId, "The charge point is not connected", null, null, now);
            session.Events.StartStream(StreamKeys.Command(commandId), requested, failed);
            await session.SaveChangesAsync(cancellationToken);
            return Command.Fold([requested, failed])!;
        }

        session.Events.StartStream(StreamKeys.Command(commandId), requested);
        session.Store(Open(requested, now));
        if (elsewhere)
        {
            // Another node holds the socket: tell the nodes (CommandRelay) which command it is; PostgreSQL delivers the
            // notification when this transaction commits, so no node can look before the request is recorded.
            session.QueueSqlCommand("select pg_notify(?, ?)", CommandRelay.Channel, commandId);
        }

        await session.SaveChangesAsync(cancellationToken);
        _running[commandId] = Task.Run(() => elsewhere ? FailUnclaimedAsync(commandId) : RunAsync(requested), CancellationToken.None);
        return Command.Create(requested);
    }

    /// <summary>A command relayed by another node: run it here if this node holds the charge point's socket and nobody has started it.</summary>
    public async Task RunRelayedAsync(string commandId)
    {
        try
        {
            if (await LoadAsync(commandId, lifetime.ApplicationStopping) is not { Status: CommandStatus.Requested } command
                || !calls.IsConnected(command.ChargePointId) || !_claimed.TryAdd(commandId, 0))
            {
                return;
            }

            var requested = new CommandRequested(command.CommandId, command.ChargePointId, command.Action, command.Payload, command.RequestedBy,
                command.RequestedAt);
            // This node runs it from now on, so the sweeper must not take it for orphaned if the requesting node dies.
            // Recorded beside the call, not before it (both records name this node, so their order does not matter).
            _running[commandId] = Task.Run(() => RunAsync(requested, claim: true), CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not take relayed command {CommandId}", commandId);
        }
    }

    private async Task ClaimAsync(CommandRequested requested)
    {
        try
        {
            await using var session = store.LightweightSession();
            session.Store(Open(requested, time.GetUtcNow()));
            await session.SaveChangesAsync(lifetime.ApplicationStopping);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not record that this node runs command {CommandId}", requested.CommandId);
        }
    }

    /// <summary>The charge point's own stream says it is connected (to some node): the write model, not a read model.</summary>
    private async Task<bool> ConnectedElsewhereAsync(string chargePointId, CancellationToken cancellationToken) =>
        (await ledger.LoadChargePointAsync(chargePointId, cancellationToken))?.ChargePoint.Connected == true;

    /// <summary>
    /// A relayed command no node took within the claim timeout (the holding node went away, or the notification was
    /// lost) is failed, with the stream's version as the guard: if a node recorded CommandSent meanwhile, this loses.
    /// </summary>
    private async Task FailUnclaimedAsync(string commandId)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, relay.Value.ClaimTimeoutSeconds)), time, lifetime.ApplicationStopping);
            await using var session = store.LightweightSession();
            session.Events.Append(StreamKeys.Command(commandId), 2,
                new CommandFailed(commandId, "No node holds the charge point's connection", null, null, time.GetUtcNow()));
            session.Delete<OpenCommand>(commandId);
            await session.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception ex) when (IsVersionCollision(ex) || ex is OperationCanceledException)
        {
            // Claimed by the node holding the socket (or shutting down): nothing to do.
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not fail unclaimed command {CommandId}", commandId);
        }
        finally
        {
            _running.TryRemove(commandId, out _);
        }
    }

    public async Task<Command?> LoadAsync(string commandId, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(StreamKeys.Command(commandId), token: cancellationToken);
        return Command.Fold(events.Select(e => e.Data));
    }

    /// <summary>Runs the call; a relayed command's <paramref name="claim"/> record is written beside it and lands before the outcome removes it.</summary>
    private async Task RunAsync(CommandRequested requested, bool claim = false)
    {
        var stopping = lifetime.ApplicationStopping;
        var claimed = claim ? ClaimAsync(requested) : Task.CompletedTask;
        try
        {
            var outcome = await calls.CallAsync(requested.ChargePointId, requested.Action, requested.Payload,
                messageId => AppendAsync(requested.CommandId, new CommandSent(requested.CommandId, messageId, time.GetUtcNow(), node.Id),
                    session => session.Store(Open(requested, time.GetUtcNow()))),
                late => AppendAsync(requested.CommandId, new CommandLateReplyReceived(requested.CommandId, late.Payload, late.ErrorCode,
                    late.ErrorDescription, time.GetUtcNow())),
                (ledger, result) => Effect(ledger, requested, result), stopping);
            await claimed;
            await AppendAsync(requested.CommandId, Completion(requested.CommandId, outcome, time.GetUtcNow()), Ended(requested.CommandId));
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Command {CommandId} ({Action} to {ChargePointId}) did not complete", requested.CommandId, requested.Action,
                requested.ChargePointId);
            try
            {
                await claimed;
                await AppendAsync(requested.CommandId, new CommandFailed(requested.CommandId, "Internal error: " + ex.GetType().Name, null, null, time.GetUtcNow()),
                    Ended(requested.CommandId));
            }
            catch (Exception again)
            {
                logger.LogError(again, "Could not record the failure of command {CommandId}", requested.CommandId);
            }
        }
        finally
        {
            _running.TryRemove(requested.CommandId, out _);
        }
    }

    /// <summary>The event that ends a command (CONTRACT.md Commands).</summary>
    public static object Completion(string commandId, CallOutcome outcome, DateTimeOffset at) => outcome.Kind switch
    {
        CallOutcomeKind.Result when IsSuccess(outcome.Payload) => new CommandAccepted(commandId, outcome.Payload!.Value, at),
        CallOutcomeKind.Result => new CommandRejected(commandId, outcome.Payload!.Value, at),
        CallOutcomeKind.Error => new CommandFailed(commandId, "The charge point answered with a CALLERROR", outcome.ErrorCode, outcome.ErrorDescription, at),
        CallOutcomeKind.TimedOut => new CommandTimedOut(commandId, at),
        CallOutcomeKind.NotConnected => new CommandFailed(commandId, "The charge point is not connected", null, null, at),
        _ => new CommandFailed(commandId, outcome.ErrorDescription ?? "The connection closed before the reply", null, null, at),
    };

    /// <summary>No status field, or a status meaning success.</summary>
    public static bool IsSuccess(JsonElement? payload) =>
        payload is not { ValueKind: JsonValueKind.Object } answer
        || !answer.TryGetProperty("status", out var status)
        || (status.ValueKind == JsonValueKind.String && SuccessStatuses.Contains(status.GetString()!));

    /// <summary>
    /// What an answered command means for the charge point's own record (issue 5): an accepted (or scheduled)
    /// ChangeAvailability sets the connector's availability, so the Unavailable that follows an Inoperative counts as
    /// planned in uptime; a GetConfiguration answer is kept on the charge point. Everything else has no direct effect
    /// (RemoteStartTransaction leads to the charge point's own StartTransaction).
    /// </summary>
    public static object? Effect(ChargePointLedger ledger, CommandRequested requested, CallOutcome outcome)
    {
        if (outcome is not { Kind: CallOutcomeKind.Result, Payload: { } answer })
        {
            return null;
        }

        switch (requested.Action)
        {
            case "ChangeAvailability" when IsSuccess(answer)
                                          && requested.Payload.TryGetProperty("connectorId", out var connector)
                                          && requested.Payload.TryGetProperty("type", out var type)
                                          && Enum.TryParse<ConnectorAvailability>(type.GetString(), out var availability):
                return new RecordAvailabilitySet(ledger, connector.GetInt32(), availability, requested.CommandId, requested.RequestedBy);
            case "GetConfiguration":
                return new RecordConfigurationReported(ledger, Array(answer, "configurationKey"), Array(answer, "unknownKey"), requested.CommandId);
            default:
                return null;
        }
    }

    private static JsonElement Array(JsonElement answer, string property) =>
        answer.TryGetProperty(property, out var value) ? value.Clone() : JsonDocument.Parse("[]").RootElement.Clone();

    /// <summary>
    /// Appends without an expected version; a late reply may race the timeout's own append on the same stream, so a
    /// collision on the stream's next version is retried (the events are independent facts, their order is arrival order).
    /// </summary>
    private async Task AppendAsync(string commandId, object @event, Action<IDocumentSession>? alongside = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var session = store.LightweightSession();
                session.Events.Append(StreamKeys.Command(commandId), @event);
                alongside?.Invoke(session);
                await session.SaveChangesAsync(CancellationToken.None);
                return;
            }
            catch (Exception ex) when (attempt < 5 && IsVersionCollision(ex))
            {
                logger.LogDebug(ex, "Append to command {CommandId} collided; retrying", commandId);
            }
        }
    }

    /// <summary>The sweeper's record that this node runs the command (CommandSweeper).</summary>
    private OpenCommand Open(CommandRequested requested, DateTimeOffset since) =>
        new() { Id = requested.CommandId, ChargePointId = requested.ChargePointId, NodeId = node.Id, Since = since };

    private static Action<IDocumentSession> Ended(string commandId) => session => session.Delete<OpenCommand>(commandId);

    internal static bool IsVersionCollision(Exception? ex) =>
        // Marten 9 raises its own EventStreamUnexpectedMaxEventIdException (not public) beside JasperFx's.
        Ledger.ExceptionChain.Find<Exception>(ex, e => e is JasperFx.ConcurrencyException or JasperFx.Events.EventStreamUnexpectedMaxEventIdException
            || e.GetType().Name == nameof(JasperFx.Events.EventStreamUnexpectedMaxEventIdException)) is not null;
}
