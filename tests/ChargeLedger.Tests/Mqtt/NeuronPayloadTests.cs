using System.Buffers;
using System.Text;
using ChargeLedger.Mqtt.Neuron;
using ChargeLedger.Telemetry;
using CsCheck;

namespace ChargeLedger.Tests.Mqtt;

public class NeuronPayloadTests
{
    private const string Topic = "/neuron/GW-1/modbus/grp";
    private static readonly DateTimeOffset ReceivedAt = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static NeuronMessage Parsed(string json)
    {
        NeuronPayload.TryParse(Encoding.UTF8.GetBytes(json), "GW-1", Topic, ReceivedAt, out var message, out var rejection)
            .ShouldBeTrue(rejection.Reason);
        return message!;
    }

    private static NeuronRejection Rejected(string json) => Rejected(Encoding.UTF8.GetBytes(json));

    private static NeuronRejection Rejected(byte[] payload)
    {
        NeuronPayload.TryParse(payload, "GW-1", Topic, ReceivedAt, out var message, out var rejection).ShouldBeFalse();
        message.ShouldBeNull();
        rejection.Reason.ShouldNotBeNullOrWhiteSpace();
        return rejection;
    }

    [Fact]
    public void reads_the_values_format_with_errors()
    {
        var message = Parsed("""{"timestamp":1650006388943,"node":"meter-1","group":"grp","values":{"tag":123,"t2":-4.5},"errors":{"tag2":2014}}""");

        message.GatewayId.ShouldBe("GW-1");
        message.Topic.ShouldBe(Topic);
        message.Node.ShouldBe("meter-1");
        message.Group.ShouldBe("grp");
        message.Timestamp.ShouldBe(DateTimeOffset.FromUnixTimeMilliseconds(1650006388943));
        message.Timestamp.Offset.ShouldBe(TimeSpan.Zero);
        message.ReceivedAt.ShouldBe(ReceivedAt);
        message.Tags.ShouldBe([new("tag", 123m, null), new("t2", -4.5m, null), new("tag2", null, 2014)]);
    }

    [Fact]
    public void reads_the_tags_format()
    {
        var message = Parsed("""{"timestamp":1650006388943,"node":"meter-1","group":"grp","tags":[{"name":"tag0","value":123},{"name":"tag1","error":2014}]}""");

        message.Tags.ShouldBe([new("tag0", 123m, null), new("tag1", null, 2014)]);
    }

    [Fact]
    public void booleans_are_one_and_zero()
    {
        Parsed("""{"timestamp":1,"node":"n","group":"g","values":{"on":true,"off":false}}""").Tags
            .ShouldBe([new("on", 1m, null), new("off", 0m, null)]);
        Parsed("""{"timestamp":1,"node":"n","group":"g","tags":[{"name":"on","value":true}]}""").Tags
            .ShouldBe([new("on", 1m, null)]);
    }

    [Fact]
    public void numbers_keep_their_decimal_digits()
    {
        Parsed("""{"timestamp":1,"node":"n","group":"g","values":{"a":0.1,"b":12345678901234567890.5,"c":1e3,"d":-0}}""").Tags
            .Select(t => t.Value).ShouldBe([0.1m, 12345678901234567890.5m, 1000m, 0m]);
    }

    [Fact]
    public void an_error_code_wins_over_a_value_for_the_same_tag()
    {
        Parsed("""{"timestamp":1,"node":"n","group":"g","values":{"a":1,"b":2},"errors":{"a":3}}""").Tags
            .ShouldBe([new("a", null, 3), new("b", 2m, null)]);
        Parsed("""{"timestamp":1,"node":"n","group":"g","tags":[{"name":"a","value":1,"error":7}]}""").Tags
            .ShouldBe([new("a", null, 7)]);
    }

    [Fact]
    public void errors_alone_are_a_message()
    {
        Parsed("""{"timestamp":1,"node":"n","group":"g","errors":{"a":2014}}""").Tags.ShouldBe([new("a", null, 2014)]);
    }

    [Fact]
    public void unknown_fields_are_ignored_in_any_order()
    {
        Parsed("""{"extra":{"deep":[1,2,{"x":null}]},"values":{"a":1},"group":"g","node":"n","timestamp":1,"more":"x"}""")
            .Tags.ShouldBe([new("a", 1m, null)]);
        Parsed("""{"timestamp":1,"node":"n","group":"g","tags":[{"name":"a","quality":"good","value":2}]}""")
            .Tags.ShouldBe([new("a", 2m, null)]);
    }

    [Fact]
    public void reads_a_payload_split_over_segments()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"timestamp":1650006388943,"node":"meter-1","group":"grp","values":{"import_wh":123456.5}}""");
        var first = new Segment(bytes.AsMemory(0, 20));
        var last = first.Append(bytes.AsMemory(20, 17)).Append(bytes.AsMemory(37));
        var sequence = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);

        NeuronPayload.TryParse(sequence, "GW-1", Topic, ReceivedAt, out var message, out _).ShouldBeTrue();
        message!.Tags.ShouldBe([new("import_wh", 123456.5m, null)]);
    }

    [Theory]
    [InlineData("", NeuronRejection.NotJson)]
    [InlineData("   ", NeuronRejection.NotJson)]
    [InlineData("hello", NeuronRejection.NotJson)]
    [InlineData("{\"timestamp\":1,", NeuronRejection.NotJson)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1}} {}", NeuronRejection.NotJson)]
    [InlineData("{'timestamp':1}", NeuronRejection.NotJson)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1},}", NeuronRejection.NotJson)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":NaN}}", NeuronRejection.NotJson)]
    [InlineData("[1,2]", NeuronRejection.NotObject)]
    [InlineData("42", NeuronRejection.NotObject)]
    [InlineData("\"text\"", NeuronRejection.NotObject)]
    [InlineData("null", NeuronRejection.NotObject)]
    [InlineData("{\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.Timestamp)]
    [InlineData("{\"timestamp\":\"1650006388943\",\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.Timestamp)]
    [InlineData("{\"timestamp\":1.5,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.Timestamp)]
    [InlineData("{\"timestamp\":1e30,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.Timestamp)]
    [InlineData("{\"timestamp\":253402300800000,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.Timestamp)]
    [InlineData("{\"timestamp\":null,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.Timestamp)]
    [InlineData("{\"timestamp\":1,\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.Node)]
    [InlineData("{\"timestamp\":1,\"node\":\"\",\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.Node)]
    [InlineData("{\"timestamp\":1,\"node\":7,\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.Node)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"values\":{\"a\":1}}", NeuronRejection.Group)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":[],\"values\":{\"a\":1}}", NeuronRejection.Group)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\"}", NeuronRejection.NoTags)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{}}", NeuronRejection.NoTags)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"tags\":[]}", NeuronRejection.NoTags)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1},\"tags\":[{\"name\":\"b\",\"value\":1}]}", NeuronRejection.NoTags)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":\"12\"}}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":[1]}}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":{\"v\":1}}}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":null}}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1e29}}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"\":1}}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":[1]}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"errors\":{\"a\":\"bad\"}}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"errors\":{\"a\":1.5}}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"tags\":{\"a\":1}}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"tags\":[1]}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"tags\":[{\"value\":1}]}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"tags\":[{\"name\":\"a\"}]}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"tags\":[{\"name\":\"a\",\"value\":\"x\"}]}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"tags\":[{\"name\":\"a\",\"value\":1,\"value\":2}]}", NeuronRejection.BadTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1,\"a\":2}}", NeuronRejection.DuplicateTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"errors\":{\"a\":1,\"a\":2}}", NeuronRejection.DuplicateTag)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"tags\":[{\"name\":\"a\",\"value\":1},{\"name\":\"a\",\"value\":2}]}", NeuronRejection.DuplicateTag)]
    [InlineData("{\"timestamp\":1,\"timestamp\":2,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1}}", NeuronRejection.DuplicateProperty)]
    [InlineData("{\"timestamp\":1,\"node\":\"n\",\"group\":\"g\",\"values\":{\"a\":1},\"values\":{\"b\":1}}", NeuronRejection.DuplicateProperty)]
    public void rejects_with_a_specific_reason(string json, string kind)
    {
        Rejected(json).Kind.ShouldBe(kind);
    }

    [Fact]
    public void names_the_offending_tag()
    {
        Rejected("""{"timestamp":1,"node":"n","group":"g","values":{"ok":1,"voltage":"230"}}""").Reason.ShouldContain("voltage");
    }

    [Fact]
    public void rejects_invalid_utf8_and_deep_nesting_without_throwing()
    {
        byte[] invalidUtf8 = [.. "{\"timestamp\":1,\"node\":\""u8, 0xC3, 0x28, .. "\",\"group\":\"g\",\"values\":{\"a\":1}}"u8];
        Rejected(invalidUtf8).Kind.ShouldBe(NeuronRejection.NotJson);
        Rejected([0xFF, 0xFE, 0x00]).Kind.ShouldBe(NeuronRejection.NotJson);
        Rejected(new string('[', 10_000)).Kind.ShouldBe(NeuronRejection.NotObject);
        Rejected("{\"x\":" + new string('[', 100) + new string(']', 100) + ",\"timestamp\":1}").Kind.ShouldBe(NeuronRejection.NotJson);
    }

    [Fact]
    public void a_dead_letter_keeps_at_most_4_KiB_of_the_payload()
    {
        var big = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(new string('x', 100_000)));
        var stored = NeuronPayload.ForStorage(big);
        stored.Length.ShouldBeLessThan(4200);
        stored.ShouldEndWith("[truncated, 100000 bytes]");

        NeuronPayload.ForStorage(new ReadOnlySequence<byte>([0x7B, 0xFF, 0x7D])).ShouldBe("{\uFFFD}");
    }

    [Fact]
    public void arbitrary_bytes_never_throw()
    {
        Gen.Byte.Array[0, 300].Sample(bytes =>
        {
            var parsed = NeuronPayload.TryParse(bytes, "GW-1", Topic, ReceivedAt, out var message, out var rejection);
            (parsed ? message is not null : rejection.Reason.Length > 0).ShouldBeTrue();
            NeuronPayload.ForStorage(new ReadOnlySequence<byte>(bytes)).ShouldNotBeNull();
        }, iter: 5_000);
    }

    /// <summary>Random JSON-ish text built from the payload's own vocabulary, so the generator reaches deep into the parser.</summary>
    [Fact]
    public void json_shaped_garbage_never_throws()
    {
        string[] tokens =
        [
            "{", "}", "[", "]", ",", ":", "\"timestamp\"", "\"node\"", "\"group\"", "\"values\"", "\"errors\"", "\"tags\"",
            "\"name\"", "\"value\"", "\"error\"", "\"a\"", "\"\"", "1650006388943", "-1", "1.5", "1e400", "-1e-400", "true", "false",
            "null", "99999999999999999999999999999999", " ", "\"\\u0000\"", "\"\\ud800\"",
        ];
        Gen.Int[0, tokens.Length - 1].Array[0, 60].Sample(picks =>
        {
            var json = string.Concat(picks.Select(i => tokens[i]));
            var parsed = NeuronPayload.TryParse(Encoding.UTF8.GetBytes(json), "GW-1", Topic, ReceivedAt, out var message, out var rejection);
            (parsed ? message!.Tags.Count > 0 : rejection.Reason.Length > 0).ShouldBeTrue();
        }, iter: 20_000);
    }

    [Fact]
    public void well_formed_messages_round_trip()
    {
        var tag = Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 12], Gen.Decimal, Gen.Int.Nullable());
        Gen.Select(Gen.Long[0, 4_102_444_800_000], tag.Array[1, 20]).Sample((timestamp, generated) =>
        {
            var tags = generated.DistinctBy(t => t.Item1, StringComparer.Ordinal).ToList();
            var json = new StringBuilder().Append(System.Globalization.CultureInfo.InvariantCulture,
                $$"""{"timestamp":{{timestamp}},"node":"meter-1","group":"grp","tags":[""");
            json.AppendJoin(',', tags.Select(t => t.Item3 is { } code
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""{"name":"{{t.Item1}}","error":{{code}}}""")
                : string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""{"name":"{{t.Item1}}","value":{{t.Item2}}}""")));
            json.Append("]}");

            var message = Parsed(json.ToString());
            message.Timestamp.ToUnixTimeMilliseconds().ShouldBe(timestamp);
            message.Tags.ShouldBe(tags.Select(t => t.Item3 is { } code ? new NeuronTagValue(t.Item1, null, code) : new NeuronTagValue(t.Item1, t.Item2, null)));
        }, iter: 2_000);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
