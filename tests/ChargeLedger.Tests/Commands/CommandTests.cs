using System.Text.Json;
using ChargeLedger.Commands;

namespace ChargeLedger.Tests.Commands;

public sealed class CommandTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static readonly CommandRequested Requested = new("cmd-1", "CP-1", "Reset", Json("""{"type":"Soft"}"""), "ops", T0);

    [Theory]
    [InlineData("""{"status":"Accepted"}""", true)]
    [InlineData("""{"status":"Unlocked"}""", true)]
    [InlineData("""{"status":"Scheduled"}""", true)]
    [InlineData("""{"listVersion":3}""", true)]
    [InlineData("""{"configurationKey":[]}""", true)]
    [InlineData("""{"status":"Rejected"}""", false)]
    [InlineData("""{"status":"UnlockFailed"}""", false)]
    [InlineData("""{"status":"NotSupported"}""", false)]
    [InlineData("""{"status":"accepted"}""", false)]
    public void a_result_is_a_success_without_a_status_or_with_one_meaning_success(string payload, bool success) =>
        CommandDispatcher.IsSuccess(Json(payload)).ShouldBe(success);

    public static TheoryData<CallOutcome, Type> Outcomes() => new()
    {
        { new CallOutcome(CallOutcomeKind.Result, Json("""{"status":"Accepted"}""")), typeof(CommandAccepted) },
        { new CallOutcome(CallOutcomeKind.Result, Json("""{"status":"Rejected"}""")), typeof(CommandRejected) },
        { new CallOutcome(CallOutcomeKind.Error, null, "NotImplemented", "no"), typeof(CommandFailed) },
        { new CallOutcome(CallOutcomeKind.TimedOut), typeof(CommandTimedOut) },
        { new CallOutcome(CallOutcomeKind.NotConnected), typeof(CommandFailed) },
        { new CallOutcome(CallOutcomeKind.ConnectionLost, ErrorDescription: "closed"), typeof(CommandFailed) },
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void each_outcome_ends_the_command_with_its_event(CallOutcome outcome, Type expected) =>
        CommandDispatcher.Completion("cmd-1", outcome, T0).ShouldBeOfType(expected);

    [Fact]
    public void the_fold_follows_the_life_and_counts_late_replies_without_changing_the_outcome()
    {
        var command = Command.Fold([
            Requested,
            new CommandSent("cmd-1", "m-1", T0.AddSeconds(1)),
            new CommandTimedOut("cmd-1", T0.AddSeconds(31)),
            new CommandLateReplyReceived("cmd-1", Json("""{"status":"Accepted"}"""), null, null, T0.AddSeconds(40)),
        ])!;

        command.Status.ShouldBe(CommandStatus.TimedOut);
        command.SentAt.ShouldBe(T0.AddSeconds(1));
        command.CompletedAt.ShouldBe(T0.AddSeconds(31));
        command.LateReplies.ShouldBe(1);
        command.Response.ShouldBeNull();
    }

    [Fact]
    public void a_failure_keeps_the_error_code_and_reason()
    {
        var command = Command.Fold([Requested, new CommandFailed("cmd-1", "CALLERROR", "NotImplemented", "no", T0)])!;

        (command.Status, command.ErrorCode, command.Reason).ShouldBe((CommandStatus.Failed, "NotImplemented", "CALLERROR"));
    }

    [Fact]
    public void nothing_before_the_request_is_a_command() => Command.Fold([new CommandSent("cmd-1", "m", T0)]).ShouldBeNull();
}
