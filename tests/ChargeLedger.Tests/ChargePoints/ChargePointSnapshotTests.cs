using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using ChargeLedger.ChargePoints;
using ChargeLedger.Shared;
using CsCheck;
using Marten;
using Weasel.Core;

namespace ChargeLedger.Tests.ChargePoints;

/// <summary>
/// A load resumes from a stored snapshot and folds only the events after it; for that to be invisible the result must
/// equal the full fold of the stream at every cut, including Version (Marten's stream version).
/// </summary>
public class ChargePointSnapshotTests
{
    private static readonly ImmutableSortedDictionary<int, ConnectorState> Empty = ImmutableSortedDictionary<int, ConnectorState>.Empty;

    private static readonly DateTimeOffset Origin = new(2026, 1, 5, 6, 0, 0, TimeSpan.Zero);

    /// <summary>The document serializer as Program.cs configures Marten: camelCase, enums as strings, UTC timestamps.</summary>
    private static readonly Marten.ISerializer Serializer = MartenSerializer();

    // A few connection ids, so disconnects, silences and "heard again" sometimes match the current connection and sometimes not.
    private static readonly Gen<string> Connections = Gen.OneOf("c1", "c2", "c3");

    // Ticks, so sub-millisecond times (and a non-UTC offset) go through the snapshot's JSON too.
    private static readonly Gen<DateTimeOffset> Times = Gen.Select(Gen.Long[0, TimeSpan.TicksPerDay * 400], Gen.Bool,
        (ticks, offset) => Origin.AddTicks(ticks).ToOffset(offset ? TimeSpan.FromHours(2) : TimeSpan.Zero));

    private static readonly Gen<string?> Texts = Gen.OneOf<string?>(null, "", "x", "Überspannung \"42\"");

    private static readonly Gen<object> Events = Gen.Frequency(
        (2, Gen.Select(Gen.OneOf("V1", "V2"), Gen.OneOf("M1", "M2"), Texts, Times,
            (vendor, model, firmware, at) => (object)new ChargePointBooted(Scenario.ChargePointId, vendor, model, null, null, firmware, null, null,
                null, null, at))),
        (3, Gen.Select(Connections, Times, (id, at) => (object)new ChargePointConnected(Scenario.ChargePointId, id, "10.0.0.1", at))),
        (1, Gen.Select(Connections, Connections, Times,
            (old, id, at) => (object)new ChargePointConnectionReplaced(Scenario.ChargePointId, old, id, at))),
        (3, Gen.Select(Connections, Times, (id, at) => (object)new ChargePointDisconnected(Scenario.ChargePointId, id, "closed", at))),
        (2, Gen.Select(Connections, Times, (id, at) => (object)new ChargePointWentSilent(Scenario.ChargePointId, id, at, at.AddMinutes(10)))),
        (2, Gen.Select(Connections, Times, (id, at) => (object)new ChargePointHeardAgain(Scenario.ChargePointId, id, at, at.AddMinutes(20)))),
        (6, Gen.Select(Gen.Int[0, 3], Gen.Enum<ConnectorStatus>(), Gen.OneOf("NoError", "GroundFailure"), Texts, Texts, Times,
            (connector, status, error, info, vendorError, at) => (object)new ConnectorStatusChanged(Scenario.ChargePointId, connector, status, error,
                info, null, vendorError, at, at.AddSeconds(1)))),
        (1, Gen.Select(Gen.Int[1, 99].Nullable(), Times, (transaction, at) => (object)new UnknownTransactionReported(Scenario.ChargePointId,
            "StopTransaction", transaction, null, 1_000, at, null, null, [], at))),
        // Events the aggregate does not need: they only advance the version.
        (2, Times.Select(at => (object)new DataTransferReceived(Scenario.ChargePointId, "com.example", null, "{}", at))),
        (1, Times.Select(at => (object)new FirmwareStatusChanged(Scenario.ChargePointId, "Installed", at))),
        (1, Gen.Select(Gen.Int[0, 3], Times, (connector, at) => (object)new ConnectorTransitionFlagged(Scenario.ChargePointId, connector, null,
            ConnectorStatus.Faulted, at))),
        (1, Times.Select(at => (object)new ChargePointRegistered(Scenario.ChargePointId, "ST-other", at))));

    private static readonly Gen<object[]> Streams = Events.Array[0, 60].Select(events => events.Prepend(Scenario.Registered()).ToArray());

    [Fact]
    public void a_snapshot_at_any_cut_plus_the_tail_equals_the_full_fold()
    {
        Streams.Sample(stream =>
        {
            var expected = FullFold(stream);
            for (var cut = 1; cut <= stream.Length; cut++)
            {
                var stored = RoundTrip(ChargePointSnapshot.Of(ChargePointSnapshot.Resume(null, Versioned(stream, 0, cut))!));
                var resumed = ChargePointSnapshot.Resume(stored.Usable(stream.Length).ShouldNotBeNull(), Versioned(stream, cut, stream.Length));

                ShouldEqual(resumed.ShouldNotBeNull(), expected, $"cut after {cut} of {stream.Length} events");
            }
        }, iter: 300);
    }

    [Fact]
    public void without_a_snapshot_the_fold_is_the_full_fold()
    {
        Streams.Sample(stream => ShouldEqual(ChargePointSnapshot.Resume(null, Versioned(stream, 0, stream.Length)).ShouldNotBeNull(), FullFold(stream),
            "no snapshot"), iter: 300);
    }

    [Fact]
    public void a_snapshot_of_another_fold_version_or_ahead_of_the_stream_is_not_used()
    {
        var state = ChargePointSnapshot.Resume(null, Versioned([Scenario.Registered(), new ChargePointConnected(Scenario.ChargePointId, "c1", null, Origin)], 0, 2))!;
        var snapshot = ChargePointSnapshot.Of(state);

        snapshot.Usable(2).ShouldBe(state);
        snapshot.Usable(5).ShouldBe(state);
        snapshot.Usable(1).ShouldBeNull("the stream holds fewer events than the snapshot folded");
        RoundTrip(new ChargePointSnapshot { Id = state.Id, Version = 2, FoldVersion = ChargePointSnapshot.CurrentFoldVersion + 1, State = state })
            .Usable(2).ShouldBeNull();
        RoundTrip(new ChargePointSnapshot { Id = state.Id, Version = 2, FoldVersion = ChargePointSnapshot.CurrentFoldVersion - 1, State = state })
            .Usable(2).ShouldBeNull();
    }

    /// <summary>
    /// A stored snapshot outlives the code that wrote it: any change to what it holds must bump
    /// <see cref="ChargePointSnapshot.CurrentFoldVersion"/>, so snapshots of the old shape are ignored and refolded.
    /// </summary>
    [Fact]
    public void the_shape_of_the_snapshot_state_is_pinned_to_its_fold_version()
    {
        const string Expected =
            "ChargePoint{BootedAt:DateTimeOffset?,Connected:Boolean,ConnectionId:String?," +
            "Connectors:ImmutableSortedDictionary<Int32,ConnectorState{ConnectorId:Int32,ErrorCode:String,Info:String?," +
            "Since:DateTimeOffset,Status:ConnectorStatus[Available,Preparing,Charging,SuspendedEVSE,SuspendedEV,Finishing,Reserved,Unavailable,Faulted]," +
            "VendorErrorCode:String?}>,FirmwareVersion:String?,Id:String,Model:String?,SilentSince:DateTimeOffset?,StationId:String," +
            "UnknownTransactionReports:Int32,Vendor:String?,Version:Int64}";

        var actual = Fingerprint(typeof(ChargePoint));

        ChargePointSnapshot.CurrentFoldVersion.ShouldBe(1,
            "FoldVersion was bumped: update the expected version here and Expected below to the new shape");
        actual.ShouldBe(Expected,
            "ChargePoint or ConnectorState changed shape: stored ChargePointSnapshots of the old shape would be read into the new one. " +
            "Bump ChargePointSnapshot.CurrentFoldVersion (they are then ignored and rewritten), then update Expected and the version in this test. " +
            "Bump it too when an Apply changes meaning without a change of shape; this test cannot see that.");
    }

    /// <summary>Property names and types, recursively into this assembly's types, enum members included, nullability marked.</summary>
    private static string Fingerprint(Type type)
    {
        if (type.IsEnum)
        {
            return $"{type.Name}[{string.Join(',', Enum.GetNames(type))}]";
        }

        if (type.IsGenericType)
        {
            var name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
            return $"{name}<{string.Join(',', type.GetGenericArguments().Select(Fingerprint))}>";
        }

        if (type.Assembly != typeof(ChargePoint).Assembly)
        {
            return type.Name;
        }

        var nullability = new NullabilityInfoContext();
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}:{PropertyType(p, nullability)}");
        return $"{type.Name}{{{string.Join(',', properties)}}}";
    }

    private static string PropertyType(PropertyInfo property, NullabilityInfoContext nullability) =>
        Nullable.GetUnderlyingType(property.PropertyType) is { } underlying
            ? Fingerprint(underlying) + "?"
            : Fingerprint(property.PropertyType) + (!property.PropertyType.IsValueType && nullability.Create(property).ReadState == NullabilityState.Nullable ? "?" : "");

    private static ChargePoint FullFold(object[] stream) => ChargePoint.Fold(stream)! with { Version = stream.Length };

    private static IEnumerable<(object, long)> Versioned(object[] stream, int from, int to) =>
        Enumerable.Range(from, to - from).Select(i => (stream[i], (long)i + 1));

    private static ChargePointSnapshot RoundTrip(ChargePointSnapshot snapshot)
    {
        using var json = new MemoryStream(Encoding.UTF8.GetBytes(Serializer.ToJson(snapshot)));
        return Serializer.FromJson<ChargePointSnapshot>(json);
    }

    /// <summary>Record equality, except that ImmutableSortedDictionary compares by reference: its entries are compared instead.</summary>
    private static void ShouldEqual(ChargePoint actual, ChargePoint expected, string because)
    {
        (actual with { Connectors = Empty }).ShouldBe(expected with { Connectors = Empty }, because);
        actual.Connectors.Select(c => (c.Key, c.Value)).ShouldBe(expected.Connectors.Select(c => (c.Key, c.Value)), because);
    }

    private static Marten.ISerializer MartenSerializer()
    {
        var options = new StoreOptions();
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase,
            configure: json => json.Converters.Add(new UtcTimestampConverter()));
        return options.Serializer();
    }
}
