using System.Buffers;
using BenchmarkDotNet.Attributes;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using Weasel.Core;
using SystemTextJsonSerializer = Marten.Services.SystemTextJsonSerializer;

// Marten resolves an event's type from its row and deserializes by Type; these benchmarks make that same call.
#pragma warning disable CA2263

namespace ChargeLedger.Benchmarks;

/// <summary>
/// Marten's System.Text.Json serializer as the host configures it, with reflection metadata (the baseline) and with the
/// source-generated <see cref="EventJsonContext"/>: the group commit's serialization of each event, and the daemon's
/// and stream reads' deserialization of it.
/// </summary>
[MemoryDiagnoser]
public class EventSerializationBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private SystemTextJsonSerializer _serializer = null!;
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private MeterValuesRecorded _meterValues = null!;
    private TransactionStarted _started = null!;
    private byte[] _meterValuesJson = null!;
    private byte[] _startedJson = null!;

    [Params(false, true)]
    public bool SourceGenerated { get; set; }

    /// <summary>As Program.cs configures Marten; the source-generated variant adds the context ahead of reflection.</summary>
    private static SystemTextJsonSerializer Create(bool sourceGenerated)
    {
        var serializer = new SystemTextJsonSerializer { EnumStorage = EnumStorage.AsString, Casing = Casing.CamelCase };
        serializer.Configure(o => o.Converters.Add(new UtcTimestampConverter()));
        if (sourceGenerated)
        {
            serializer.UseTypeInfoResolver(EventJsonContext.Default);
        }

        return serializer;
    }

    [GlobalSetup]
    public void Setup()
    {
        _serializer = Create(SourceGenerated);

        MeterSample[] samples =
        [
            new(Now.AddMinutes(-1), "2150", MeterReadings.EnergyActiveImportRegister, null, "Wh", "Sample.Periodic", null, "Outlet"),
            new(Now.AddMinutes(-1), "11000", "Power.Active.Import", null, "W", "Sample.Periodic", null, "Outlet"),
        ];
        _meterValues = new MeterValuesRecorded("CP-1:7", "CP-1", 1, samples, Now);
        _started = new TransactionStarted("CP-1:7", 7, "CP-1", "ST-1", 1, "TAG-1", "Accepted", 1000, null, Now.AddMinutes(-30), Now.AddMinutes(-30));
        _meterValuesJson = Serialize(_meterValues);
        _startedJson = Serialize(_started);

        // Both variants must store the same JSON, or the comparison means nothing.
        var reflection = Create(sourceGenerated: false);
        if (reflection.ToJson(_meterValues) != _serializer.ToJson(_meterValues) || reflection.ToJson(_started) != _serializer.ToJson(_started))
        {
            throw new InvalidOperationException("the source-generated serializer writes different JSON");
        }
    }

    private byte[] Serialize(object value)
    {
        _buffer.ResetWrittenCount();
        _serializer.WriteTo(_buffer, value);
        return _buffer.WrittenSpan.ToArray();
    }

    [Benchmark(Description = "serialize MeterValuesRecorded (Marten, as the group commit)")]
    public int SerializeMeterValues()
    {
        _buffer.ResetWrittenCount();
        _serializer.WriteTo(_buffer, _meterValues);
        return _buffer.WrittenCount;
    }

    [Benchmark(Description = "deserialize MeterValuesRecorded (Marten, as the daemon)")]
    public object DeserializeMeterValues() => _serializer.FromJson(typeof(MeterValuesRecorded), new MemoryStream(_meterValuesJson, false));

    [Benchmark(Description = "deserialize MeterValuesRecorded async (Marten, as stream reads)")]
    public ValueTask<object> DeserializeMeterValuesAsync() =>
        _serializer.FromJsonAsync(typeof(MeterValuesRecorded), new MemoryStream(_meterValuesJson, false));

    [Benchmark(Description = "deserialize TransactionStarted (Marten, as the daemon)")]
    public object DeserializeStarted() => _serializer.FromJson(typeof(TransactionStarted), new MemoryStream(_startedJson, false));
}
