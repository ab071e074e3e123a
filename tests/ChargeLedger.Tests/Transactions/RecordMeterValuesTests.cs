using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;
using ChargeLedger.Transactions;

namespace ChargeLedger.Tests.Transactions;

public class RecordMeterValuesTests
{
    private static readonly DateTimeOffset StartedAt = Scenario.Now.AddMinutes(-30);

    // An OCMF-signed value: stored and re-emitted byte for byte (RELIABILITY §0.7), whitespace and all.
    private const string SignedValue = "OCMF|{\"FV\":\"1.0\",\"RD\":[{\"TM\":\"2025-03-01T11:59:00,000+0000 S\",\"RV\":1.55}]}|{\"SD\":\"3045 0221\"}";

    /// <summary>Transaction 7 on connector 1, started at 1,000 Wh, last register 2,000 Wh ten minutes ago.</summary>
    private static ChargePointLedger LedgerWithOpenTransaction() =>
        Scenario.WithOpenTransaction(Scenario.Transaction("last-hash", Scenario.Started(7, startedAt: StartedAt),
            Scenario.Recorded(7, Scenario.Register(Scenario.Now.AddMinutes(-10), "2000"))));

    private static Decision<bool> Handle(ChargePointLedger ledger, int? transactionId, IReadOnlyList<MeterSample> samples,
        TransactionEntry? closed = null) =>
        RecordMeterValuesHandler.Handle(new RecordMeterValues(ledger, 1, transactionId, samples), new ClosedTransactionLookup(closed), Scenario.Clock());

    [Fact]
    public void values_without_a_transaction_stay_on_the_charge_point_stream()
    {
        var ledger = Scenario.ChargePoint();
        MeterSample[] samples = [Scenario.Register(Scenario.Now, "123")];

        var decision = Handle(ledger, null, samples);

        decision.Result.ShouldBeTrue();
        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("chargepoint:CP-1");
        append.ExpectedVersion.ShouldBe(1);
        append.PreviousHash.ShouldBeNull();
        var recorded = append.Events.ShouldHaveSingleItem().ShouldBeOfType<ChargePointMeterValuesRecorded>();
        recorded.ShouldBe(new ChargePointMeterValuesRecorded(Scenario.ChargePointId, 1, samples, Scenario.Now));
    }

    [Fact]
    public void a_resent_identical_message_is_acknowledged_and_not_recorded_again()
    {
        MeterSample[] samples = [Scenario.Register(Scenario.Now.AddMinutes(-5), "2500")];
        var ledger = Scenario.WithOpenTransaction(Scenario.Transaction("last-hash", Scenario.Started(7, startedAt: StartedAt),
            Scenario.Recorded(7, samples)));

        var resent = Handle(ledger, 7, samples);
        var different = Handle(ledger, 7, [Scenario.Register(Scenario.Now.AddMinutes(-5), "2501")]);

        resent.Result.ShouldBeTrue();
        resent.Change.IsEmpty.ShouldBeTrue();
        different.Change.Events().OfType<MeterValuesRecorded>().ShouldHaveSingleItem();
    }

    [Fact]
    public void values_for_an_unknown_transaction_are_reported_on_the_charge_point_stream()
    {
        MeterSample[] samples = [Scenario.Register(Scenario.Now, "123")];

        var decision = Handle(Scenario.ChargePoint(), 99, samples);

        decision.Result.ShouldBeTrue();
        decision.Change.SingleAppend().StreamKey.ShouldBe("chargepoint:CP-1");
        decision.Change.Events().ShouldBe(
        [
            new UnknownTransactionReported(Scenario.ChargePointId, "MeterValues", 99, 1, null, null, null, null, samples, Scenario.Now),
        ]);
    }

    [Fact]
    public void values_for_an_open_transaction_are_recorded_on_its_chain_as_sent()
    {
        var ledger = LedgerWithOpenTransaction();
        MeterSample[] samples =
        [
            Scenario.Register(Scenario.Now.AddMinutes(-1), "2500"),
            Scenario.Register(Scenario.Now.AddMinutes(-1), SignedValue, format: "SignedData"),
            new(Scenario.Now.AddMinutes(-1), "7.2", "Power.Active.Import", null, "kW", "Sample.Periodic", null, null),
        ];

        var decision = Handle(ledger, 7, samples);

        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("transaction:CP-1:7");
        append.ExpectedVersion.ShouldBe(2);
        append.PreviousHash.ShouldBe("last-hash");
        var recorded = append.Events.ShouldHaveSingleItem().ShouldBeOfType<MeterValuesRecorded>();
        recorded.ShouldBe(new MeterValuesRecorded("CP-1:7", Scenario.ChargePointId, 1, samples, Scenario.Now));
        recorded.Samples.ShouldBe(samples);
        string.CompareOrdinal(recorded.Samples[1].Value, SignedValue).ShouldBe(0);
        decision.Change.Inserts.ShouldBeEmpty();
        decision.Change.ClosedTransactions.ShouldBeEmpty();
    }

    [Fact]
    public void values_for_a_stopped_transaction_loaded_from_storage_are_recorded_on_its_chain()
    {
        var closed = Scenario.Transaction("stopped-hash", Scenario.Started(7, startedAt: StartedAt), Scenario.Stopped(7, 3000, Scenario.Now.AddMinutes(-1)));
        MeterSample[] samples = [Scenario.Register(Scenario.Now.AddMinutes(-2), "2900")];

        var decision = Handle(Scenario.ChargePoint(), 7, samples, closed);

        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("transaction:CP-1:7");
        append.ExpectedVersion.ShouldBe(2);
        append.PreviousHash.ShouldBe("stopped-hash");
        append.Events.ShouldBe([new MeterValuesRecorded("CP-1:7", Scenario.ChargePointId, 1, samples, Scenario.Now)]);
    }

    [Fact]
    public void register_going_backwards_is_recorded_as_an_anomaly_beside_the_values()
    {
        var at = Scenario.Now.AddMinutes(-1);
        MeterSample[] samples = [Scenario.Register(at, "1999")];

        var decision = Handle(LedgerWithOpenTransaction(), 7, samples);

        decision.Change.Events().ShouldBe(
        [
            new MeterValuesRecorded("CP-1:7", Scenario.ChargePointId, 1, samples, Scenario.Now),
            new TransactionAnomalyDetected("CP-1:7", Scenario.ChargePointId, TransactionAnomaly.RegisterWentBackwards,
                "Energy register 1999 Wh at 2025-03-01T11:59:00.0000000+00:00 is below the previous 2000 Wh", Scenario.Now),
        ]);
    }

    [Fact]
    public void register_going_backwards_within_one_message_is_flagged_once()
    {
        MeterSample[] samples =
        [
            Scenario.Register(Scenario.Now.AddMinutes(-3), "2600"),
            Scenario.Register(Scenario.Now.AddMinutes(-2), "2100"),
            Scenario.Register(Scenario.Now.AddMinutes(-1), "2050"),
        ];

        var decision = Handle(LedgerWithOpenTransaction(), 7, samples);

        var anomaly = decision.Change.Events().OfType<TransactionAnomalyDetected>().ShouldHaveSingleItem();
        anomaly.Kind.ShouldBe(TransactionAnomaly.RegisterWentBackwards);
        anomaly.Detail.ShouldStartWith("Energy register 2100 Wh");
    }

    [Fact]
    public void equal_or_rising_register_is_not_an_anomaly()
    {
        MeterSample[] samples = [Scenario.Register(Scenario.Now.AddMinutes(-2), "2000"), Scenario.Register(Scenario.Now.AddMinutes(-1), "2001")];

        Handle(LedgerWithOpenTransaction(), 7, samples).Change.Events().ShouldHaveSingleItem().ShouldBeOfType<MeterValuesRecorded>();
    }

    [Fact]
    public void reading_before_the_start_is_recorded_as_reading_outside_transaction()
    {
        var before = StartedAt.AddSeconds(-1);
        MeterSample[] samples = [Scenario.Register(before, "2000")];

        var decision = Handle(LedgerWithOpenTransaction(), 7, samples);

        decision.Change.Events().ShouldBe(
        [
            new MeterValuesRecorded("CP-1:7", Scenario.ChargePointId, 1, samples, Scenario.Now),
            new TransactionAnomalyDetected("CP-1:7", Scenario.ChargePointId, TransactionAnomaly.ReadingOutsideTransaction,
                "Reading at 2025-03-01T11:29:59.0000000+00:00 is outside the transaction (2025-03-01T11:30:00.0000000+00:00 - open)", Scenario.Now),
        ]);
    }

    [Fact]
    public void reading_at_the_start_instant_is_inside_the_transaction()
    {
        MeterSample[] samples = [Scenario.Register(StartedAt, "2000")];

        Handle(LedgerWithOpenTransaction(), 7, samples).Change.Events().ShouldHaveSingleItem().ShouldBeOfType<MeterValuesRecorded>();
    }

    [Fact]
    public void kwh_values_are_converted_to_wh_for_the_register_check()
    {
        // 1.999 kWh = 1,999 Wh < 2,000 Wh; 2.5 kWh = 2,500 Wh is fine.
        Handle(LedgerWithOpenTransaction(), 7, [Scenario.Register(Scenario.Now, "2.5", unit: "kWh")])
            .Change.Events().OfType<TransactionAnomalyDetected>().ShouldBeEmpty();
        Handle(LedgerWithOpenTransaction(), 7, [Scenario.Register(Scenario.Now, "1.999", unit: "kWh")])
            .Change.Events().OfType<TransactionAnomalyDetected>().ShouldHaveSingleItem().Kind.ShouldBe(TransactionAnomaly.RegisterWentBackwards);
    }

    [Fact]
    public void kwh_reading_advances_the_transaction_register_in_wh()
    {
        var ledger = LedgerWithOpenTransaction();
        var decision = Handle(ledger, 7, [Scenario.Register(Scenario.Now, "2.5", unit: "kWh")]);

        ledger.Apply(decision.Change, new CommitReceipt(new Dictionary<string, string> { ["transaction:CP-1:7"] = "h3" }));

        var entry = ledger.OpenTransaction(7).ShouldNotBeNull();
        entry.State.LastRegisterWh.ShouldBe(2_500);
        entry.State.LastReadingAt.ShouldBe(Scenario.Now);
        entry.State.Version.ShouldBe(3);
        entry.LastHash.ShouldBe("h3");
    }

    [Theory]
    [InlineData("L1", null)]
    [InlineData("L2-N", null)]
    [InlineData(null, "SignedData")]
    public void per_phase_and_signed_values_are_left_out_of_the_register_check(string? phase, string? format)
    {
        MeterSample[] samples = [Scenario.Register(Scenario.Now, "5", phase: phase, format: format)];

        Handle(LedgerWithOpenTransaction(), 7, samples).Change.Events().ShouldHaveSingleItem().ShouldBeOfType<MeterValuesRecorded>();
        MeterReadings.EnergyRegister(samples).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(null, null, "1500", 1500L)]
    [InlineData("Energy.Active.Import.Register", "Wh", "1500.4", 1500L)]
    [InlineData("Energy.Active.Import.Register", "Wh", "1500.5", 1501L)]
    [InlineData("Energy.Active.Import.Register", "kWh", "1.5", 1500L)]
    [InlineData(null, "kWh", "0.0015", 2L)]
    public void energy_register_defaults_measurand_and_unit_and_converts_kwh(string? measurand, string? unit, string value, long wh)
    {
        var sample = new MeterSample(Scenario.Now, value, measurand, null, unit, null, "Raw", null);

        MeterReadings.EnergyRegister([sample]).ShouldBe([new EnergyReading(Scenario.Now, wh)]);
    }

    [Theory]
    [InlineData("Energy.Active.Export.Register", "Wh", "10")]
    [InlineData("Energy.Active.Import.Register", "varh", "10")]
    [InlineData("Energy.Active.Import.Register", "Wh", "not-a-number")]
    [InlineData("Energy.Active.Import.Register", "Wh", "1000000000000000")] // absurd: beyond 1 TWh
    [InlineData("Energy.Active.Import.Register", "kWh", "99999999999999999999")] // would overflow a long once scaled
    public void other_measurands_units_and_unparseable_values_are_not_register_readings(string measurand, string unit, string value) =>
        MeterReadings.EnergyRegister([new MeterSample(Scenario.Now, value, measurand, null, unit, null, null, null)]).ShouldBeEmpty();
}
