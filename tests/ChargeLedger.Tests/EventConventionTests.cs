using System.Reflection;
using System.Text.RegularExpressions;
using ChargeLedger.ChargePoints;
using ChargeLedger.IdTags;
using ChargeLedger.Ledger;
using ChargeLedger.Transactions;

namespace ChargeLedger.Tests;

/// <summary>STYLE.md "Event design" and "Naming", checked by reflection over the registered vocabulary.</summary>
public partial class EventConventionTests
{
    private static readonly string[] EventNamespaces =
        ["ChargeLedger.ChargePoints", "ChargeLedger.Transactions", "ChargeLedger.IdTags", "ChargeLedger.Stations", "ChargeLedger.Tariffs",
         "ChargeLedger.Gateways", "ChargeLedger.Telemetry", "ChargeLedger.Commands", "ChargeLedger.Alarms"];

    // Public sealed records in the event namespaces whose names end in "ed" but which are not events. Justified:
    // RecordConnected/RecordDisconnected/RecordConfigurationReported are commands ("record [that the charge point]
    // connected"), imperative verb first.
    private static readonly HashSet<Type> NotEvents =
        [typeof(RecordConnected), typeof(RecordDisconnected), typeof(RecordConfigurationReported)];

    // Past tense that does not end in "ed" (the names are fixed by issues 3 and 5 and DESIGN.md): went, heard, set, sent, timed out.
    private static readonly HashSet<Type> IrregularPastTense =
    [
        typeof(ChargePointWentSilent), typeof(ChargePointHeardAgain), typeof(ConnectorAvailabilitySet),
        typeof(ChargeLedger.Commands.CommandSent), typeof(ChargeLedger.Commands.CommandTimedOut),
    ];

    private static readonly HashSet<Type> Registered = [.. LedgerRegistration.EventTypes.Select(e => e.Type)];

    public static TheoryData<Type> EventTypes() => [.. LedgerRegistration.EventTypes.Select(e => e.Type)];

    private static bool IsRecord(Type type) => type.GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance) is not null;

    [Theory]
    [MemberData(nameof(EventTypes))]
    public void every_event_is_a_public_sealed_record_with_a_past_tense_name(Type type)
    {
        type.IsPublic.ShouldBeTrue();
        type.IsSealed.ShouldBeTrue();
        type.IsClass.ShouldBeTrue();
        IsRecord(type).ShouldBeTrue($"{type.Name} is not a record");
        type.Name.ShouldNotEndWith("Event");
        type.Name.ShouldNotEndWith("DomainEvent");
        // Past tense, optionally followed by its object ("TariffAssignedToStation", a pinned name).
        if (!IrregularPastTense.Contains(type))
        {
            PastTense().IsMatch(type.Name).ShouldBeTrue($"{type.Name} is not past tense");
        }

        EventNamespaces.ShouldContain(type.Namespace);
    }

    [Theory]
    [MemberData(nameof(EventTypes))]
    public void events_are_positional_and_immutable(Type type)
    {
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != "EqualityContract")
            .ShouldAllBe(p => p.SetMethod == null || p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Contains(typeof(System.Runtime.CompilerServices.IsExternalInit)));
        type.GetConstructors().ShouldContain(c => c.GetParameters().Length > 0);
    }

    [Fact]
    public void no_two_events_share_a_type_name_or_a_pinned_name()
    {
        LedgerRegistration.EventTypes.Select(e => e.Type.Name).ShouldBeUnique();
        LedgerRegistration.EventTypes.Select(e => e.Name).ShouldBeUnique();
        LedgerRegistration.EventTypes.Select(e => e.Type).ShouldBeUnique();
    }

    [Fact]
    public void pinned_names_are_the_snake_case_of_the_type_name()
    {
        // The names enter every transaction event's hash (HashChain), so a rename must fail here, not in an audit.
        foreach (var (type, name) in LedgerRegistration.EventTypes)
        {
            name.ShouldBe(SnakeCase().Replace(type.Name, "_$1").ToLowerInvariant(), $"pinned name of {type.Name}");
        }
    }

    [Fact]
    public void every_past_tense_public_sealed_record_in_the_feature_namespaces_is_registered()
    {
        var candidates = typeof(LedgerRegistration).Assembly.GetTypes()
            .Where(t => t.IsPublic && t.IsSealed && IsRecord(t) && EventNamespaces.Contains(t.Namespace)
                        && (t.Name.EndsWith("ed", StringComparison.Ordinal) || IrregularPastTense.Contains(t)))
            .Where(t => !NotEvents.Contains(t));

        candidates.Where(t => !Registered.Contains(t)).ShouldBeEmpty();
    }

    /// <summary>One decision of every handler that appends, covering each branch that produces a different event type.</summary>
    private static IEnumerable<LedgerChange> HandlerDecisions()
    {
        var clock = Scenario.Clock();
        var now = Scenario.Now;
        var tag = IdTag.Fold([new IdTagIssued(Scenario.TagId, null, null, now)])!;
        var open = Scenario.Transaction("h", Scenario.Started(7), Scenario.Recorded(7, Scenario.Register(now.AddMinutes(-1), "5000")));
        var stopped = Scenario.Transaction("h", Scenario.Started(8, connectorId: 2), Scenario.Stopped(8, 6000, now.AddMinutes(-1), 2));
        var connected = Scenario.ChargePoint(new ChargePointConnected(Scenario.ChargePointId, "c1", null, now));
        MeterSample[] early = [Scenario.Register(now.AddDays(-1), "1")];

        yield return RecordBootHandler.Handle(new RecordBoot(connected, "v", "m", null, null, null, null, null, null, null), clock).Change;
        yield return RecordConnectedHandler.Handle(new RecordConnected(connected, "c2", null, null), clock).Change;
        yield return RecordConnectedHandler.Handle(new RecordConnected(connected, "c2", null, "c1"), clock).Change;
        yield return RecordDisconnectedHandler.Handle(new RecordDisconnected(connected, "c1", "closed"), clock).Change;
        yield return RecordWentSilentHandler.Handle(new RecordWentSilent(connected, "c1", now.AddMinutes(-11)), clock).Change;
        var silent = Scenario.ChargePoint(new ChargePointConnected(Scenario.ChargePointId, "c1", null, now),
            new ChargePointWentSilent(Scenario.ChargePointId, "c1", now.AddMinutes(-11), now.AddMinutes(-1)));
        yield return RecordHeardAgainHandler.Handle(new RecordHeardAgain(silent, "c1", now)).Change;
        yield return RecordStatusNotificationHandler.Handle(
            new RecordStatusNotification(connected, 0, ConnectorStatus.Charging, "NoError", null, null, null, null), clock).Change;
        yield return RecordDataTransferHandler.Handle(new RecordDataTransfer(connected, "v", null, null), clock).Change;
        yield return RecordDeviceNotificationHandler.Handle(new RecordDeviceNotification(connected, DeviceNotificationKind.Firmware, "Installed"), clock).Change;
        yield return RecordDeviceNotificationHandler.Handle(new RecordDeviceNotification(connected, DeviceNotificationKind.Diagnostics, "Uploaded"), clock).Change;

        var withOpen = Scenario.WithOpenTransaction(open);
        yield return StartTransactionHandler.Handle(new StartTransaction(withOpen, 1, Scenario.TagId, 0, now, null),
            new StartTransactionContext(null, tag, 9), clock).Change;
        yield return RecordMeterValuesHandler.Handle(new RecordMeterValues(withOpen, 0, null, early), new ClosedTransactionLookup(null), clock).Change;
        yield return RecordMeterValuesHandler.Handle(new RecordMeterValues(withOpen, 1, 99, early), new ClosedTransactionLookup(null), clock).Change;
        yield return RecordMeterValuesHandler.Handle(new RecordMeterValues(withOpen, 1, 7, early), new ClosedTransactionLookup(null), clock).Change;
        yield return StopTransactionHandler.Handle(new StopTransaction(withOpen, 7, null, 0, now, null, early), new StopTransactionContext(null, null), clock).Change;
        yield return StopTransactionHandler.Handle(new StopTransaction(withOpen, 8, null, 0, now, null, []), new StopTransactionContext(stopped, null), clock).Change;
        yield return StopTransactionHandler.Handle(new StopTransaction(withOpen, 99, null, 0, now, null, []), new StopTransactionContext(null, null), clock).Change;
        var pricing = PriceTransactionHandler.Handle(new PriceTransaction(stopped.State.Id),
            new PricingInputs(new TransactionRecord(stopped.State, stopped.LastHash, []), null, [], null), clock).Change;
        yield return pricing;
        var flat = new ChargeLedger.Tariffs.TariffPublished("T-1", 1, "EUR", [new([new(ChargeLedger.Tariffs.ComponentTypes.Flat, 1m, 0m, null)])], now.AddDays(-1), "ops", now);
        var priced = Transaction.Fold([Scenario.Started(8, connectorId: 2), Scenario.Stopped(8, 6000, now.AddMinutes(-1), 2), .. pricing.Events()])!;
        yield return RepriceTransactionHandler.Decide(new RepriceTransaction("correction", null, null),
            new PricingInputs(new TransactionRecord(priced, "h", []), null, [], new ChargeLedger.Tariffs.TariffHistory("T-1", [flat], 1)), "finance", now).Change;
    }

    [Fact]
    public void every_event_the_handlers_decide_is_registered()
    {
        var decided = HandlerDecisions().SelectMany(c => c.Appends).SelectMany(a => a.Events).Select(e => e.GetType()).Distinct().ToList();

        decided.Where(t => !Registered.Contains(t)).ShouldBeEmpty();
        decided.ShouldBe(
        [
            typeof(ChargePointBooted), typeof(ChargePointConnected), typeof(ChargePointConnectionReplaced), typeof(ChargePointDisconnected),
            typeof(ChargePointWentSilent), typeof(ChargePointHeardAgain),
            typeof(ConnectorStatusChanged), typeof(ConnectorTransitionFlagged), typeof(DataTransferReceived), typeof(FirmwareStatusChanged),
            typeof(DiagnosticsStatusChanged), typeof(ChargePointMeterValuesRecorded), typeof(UnknownTransactionReported),
            typeof(TransactionStarted), typeof(MeterValuesRecorded), typeof(TransactionStopped), typeof(TransactionAnomalyDetected),
            typeof(TransactionPriced), typeof(TransactionRepriced),
        ], ignoreOrder: true);
    }

    [GeneratedRegex("(?<=[a-z0-9])([A-Z])")]
    private static partial Regex SnakeCase();

    [GeneratedRegex("^[A-Z][A-Za-z]*ed((To|From|On|For)[A-Z][A-Za-z]*)?$")]
    private static partial Regex PastTense();
}
