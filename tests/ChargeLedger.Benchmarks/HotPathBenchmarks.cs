using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;
using ChargeLedger.Mqtt.Neuron;
using ChargeLedger.Ocpp.Framing;
using ChargeLedger.Ocpp.Schemas;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using ChargeLedger.Transactions;
using NodaTime;

namespace ChargeLedger.Benchmarks;

/// <summary>
/// The per-message work of the ingestion paths (issue 6), without I/O: what one OCPP MeterValues or one Neuron message
/// costs in CPU and allocations before the commit. The commit itself is measured end to end by ops/ocpp-load.sh and
/// ops/telemetry-bench.sh.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly byte[] _meterValuesFrame = Encoding.UTF8.GetBytes(
        """[2,"CP-1-4711","MeterValues",{"connectorId":1,"transactionId":7,"meterValue":[{"timestamp":"2026-12-01T11:59:00Z","sampledValue":[""" +
        """{"value":"2150","measurand":"Energy.Active.Import.Register","unit":"Wh","context":"Sample.Periodic"},""" +
        """{"value":"11000","measurand":"Power.Active.Import","unit":"W","context":"Sample.Periodic"},""" +
        """{"value":"230.1","measurand":"Voltage","unit":"V","phase":"L1-N","context":"Sample.Periodic"}]}]}]""");

    private readonly byte[] _startTransactionFrame = Encoding.UTF8.GetBytes(
        """[2,"CP-1-4712","StartTransaction",{"connectorId":1,"idTag":"04A2B3C4D5E6F7","meterStart":2150,"timestamp":"2026-12-01T11:30:00.123+01:00"}]""");

    // The last sampled value's unit is "kwh" (the enum says "kWh"): the failure is found deep in the payload.
    private readonly byte[] _invalidMeterValuesFrame = Encoding.UTF8.GetBytes(
        """[2,"CP-1-4713","MeterValues",{"connectorId":1,"transactionId":7,"meterValue":[{"timestamp":"2026-12-01T11:59:00Z","sampledValue":[""" +
        """{"value":"2150","measurand":"Energy.Active.Import.Register","unit":"Wh","context":"Sample.Periodic"},""" +
        """{"value":"11000","measurand":"Power.Active.Import","unit":"kwh","context":"Sample.Periodic"}]}]}]""");

    private readonly byte[] _neuronValues = Encoding.UTF8.GetBytes(
        """{"timestamp":1764590400000,"node":"meter-1","group":"grp","values":{"import_wh":1234567.5,"power_w":42000,"voltage_v":230.4,"current_a":60.8,"temp_c":41.2,"frequency_hz":50.01,"power_factor":0.97},"errors":{"aux_1":2014}}""");

    private JsonElement _meterValuesPayload;
    private JsonElement _startTransactionPayload;
    private JsonElement _invalidMeterValuesPayload;
    private ChargePointLedger _ledger = null!;
    private RecordMeterValues _recordMeterValues = null!;
    private RecordStatusNotification _statusNotification = null!;
    private readonly TimeProvider _clock = new FixedClock(Now);
    private Tariff _tariff = null!;
    private SessionUsage _usage = null!;
    private readonly DateTimeZone _berlin = StationClock.Zone("Europe/Berlin");
    private MeterValuesRecorded _recorded = null!;
    private JsonElement _recordedJson;
    private readonly ArrayBufferWriter<byte> _scratch = new(16 * 1024);

    [GlobalSetup]
    public void Setup()
    {
        _meterValuesPayload = ((OcppCall)OcppJ.Parse(_meterValuesFrame)).Payload.Clone();
        _startTransactionPayload = ((OcppCall)OcppJ.Parse(_startTransactionFrame)).Payload.Clone();
        _invalidMeterValuesPayload = ((OcppCall)OcppJ.Parse(_invalidMeterValuesFrame)).Payload.Clone();

        var started = new TransactionStarted("CP-1:7", 7, "CP-1", "ST-1", 1, "TAG-1", "Accepted", 1000, null, Now.AddMinutes(-30), Now.AddMinutes(-30));
        var transaction = new TransactionEntry(Transaction.Fold([started])!, "previous-hash");
        var chargePoint = ChargePoint.Fold([new ChargePointRegistered("CP-1", "ST-1", Now.AddDays(-7))])!;
        _ledger = new ChargePointLedger(chargePoint, [transaction]);
        MeterSample[] samples =
        [
            new(Now.AddMinutes(-1), "2150", MeterReadings.EnergyActiveImportRegister, null, "Wh", "Sample.Periodic", null, "Outlet"),
            new(Now.AddMinutes(-1), "11000", "Power.Active.Import", null, "W", "Sample.Periodic", null, "Outlet"),
        ];
        _recordMeterValues = new RecordMeterValues(_ledger, 1, 7, samples);
        _statusNotification = new RecordStatusNotification(_ledger, 1, ConnectorStatus.Charging, "NoError", null, null, null, Now);
        _recorded = new MeterValuesRecorded("CP-1:7", "CP-1", 1, samples, Now);
        _recordedJson = JsonSerializer.SerializeToElement(_recorded);

        PriceComponent Energy(decimal price) => new("ENERGY", price, 19, 1);
        _tariff = new Tariff("T-1", 1, "EUR", Now.AddYears(-1),
        [
            new TariffElement([Energy(0.30m)], new TariffRestrictions(StartTime: "08:00", EndTime: "20:00")),
            new TariffElement([Energy(0.20m)]),
            new TariffElement([new("FLAT", 0.50m, 19, null), new("TIME", 1.20m, 19, 60), new("PARKING_TIME", 6.00m, 19, 60)]),
        ]);
        var start = new DateTimeOffset(2026, 1, 15, 18, 30, 0, TimeSpan.Zero);
        _usage = new SessionUsage(start, start.AddHours(2), 0, 44_000,
            [.. Enumerable.Range(1, 23).Select(i => new EnergyReading(start.AddMinutes(5 * i), 1_900L * i))],
            [new ChargingStateChange(start, true), new ChargingStateChange(start.AddMinutes(100), false)]);
    }

    [Benchmark(Description = "OCPP-J frame parse (MeterValues CALL)")]
    public OcppFrame ParseFrame() => OcppJ.Parse(_meterValuesFrame);

    [Benchmark(Description = "OCPP 1.6 schema validation (MeterValues.req)")]
    public SchemaViolation? ValidateSchema() => OcppSchemaValidator.Ocpp16.ValidateRequest("MeterValues", _meterValuesPayload);

    [Benchmark(Description = "OCPP 1.6 schema validation (StartTransaction.req)")]
    public SchemaViolation? ValidateSchemaStartTransaction() => OcppSchemaValidator.Ocpp16.ValidateRequest("StartTransaction", _startTransactionPayload);

    [Benchmark(Description = "OCPP 1.6 schema validation (invalid MeterValues.req, described)")]
    public SchemaViolation? ValidateSchemaInvalid() => OcppSchemaValidator.Ocpp16.ValidateRequest("MeterValues", _invalidMeterValuesPayload);

    [Benchmark(Description = "decide: MeterValues in an open transaction")]
    public Decision<bool> DecideMeterValues() => RecordMeterValuesHandler.Handle(_recordMeterValues, new ClosedTransactionLookup(null), _clock);

    [Benchmark(Description = "decide: StatusNotification")]
    public Decision<bool> DecideStatus() => RecordStatusNotificationHandler.Handle(_statusNotification, _clock);

    [Benchmark(Description = "hash chain link (SHA-256 over canonical JSON)")]
    public string HashLink() => HashChain.Compute("previous-hash", "transaction:CP-1:7", 3, "meter_values_recorded", _recordedJson);

    [Benchmark(Description = "hash chain link, staged in the group commit's reused buffer")]
    public string HashLinkReusedBuffer() =>
        HashChain.Compute("previous-hash", "transaction:CP-1:7", 3, "meter_values_recorded", _recordedJson, _scratch);

    [Benchmark(Description = "MeterValues fingerprint (duplicate check)")]
    public string Fingerprint() => MeterReadings.Fingerprint(1, _recorded.Samples);

    [Benchmark(Description = "serialize MeterValuesRecorded (System.Text.Json)")]
    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(_recorded);

    [Benchmark(Description = "price a 2 h session (OCPI tariff, 23 samples, time-of-day split)")]
    public PricingResult Price() => TariffPricing.Price(_tariff, _berlin, _usage);

    [Benchmark(Description = "Neuron values-format parse (8 tags)")]
    public bool ParseNeuron() => NeuronPayload.TryParse(_neuronValues, "GW-1", "/neuron/GW-1/modbus/grp", Now, out _, out _);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
