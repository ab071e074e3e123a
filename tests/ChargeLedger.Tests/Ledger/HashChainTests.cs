using System.Text;
using System.Text.Json;
using ChargeLedger.Ledger;

namespace ChargeLedger.Tests.Ledger;

public class HashChainTests
{
    private const string Stream = "transaction:CP-1:7";

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static string Canonical(string json) => Encoding.UTF8.GetString(CanonicalJson.ToUtf8(Json(json)));

    private static readonly JsonElement Data = Json("""{"transactionId":"CP-1:7","meterStartWh":100,"samples":[{"value":"1.50"}]}""");

    [Fact]
    public void compute_is_deterministic_lower_hex_sha256()
    {
        var hash = HashChain.Compute("", Stream, 1, "transaction_started", Data);

        hash.ShouldBe(HashChain.Compute("", Stream, 1, "transaction_started", Json(Data.GetRawText())));
        hash.Length.ShouldBe(64);
        hash.ShouldMatch("^[0-9a-f]{64}$");
    }

    [Fact]
    public void compute_covers_previous_hash_stream_version_type_and_data()
    {
        var hash = HashChain.Compute("p", Stream, 1, "transaction_started", Data);

        string[] variants =
        [
            HashChain.Compute("q", Stream, 1, "transaction_started", Data),
            HashChain.Compute("p", "transaction:CP-1:8", 1, "transaction_started", Data),
            HashChain.Compute("p", Stream, 2, "transaction_started", Data),
            HashChain.Compute("p", Stream, 1, "transaction_stopped", Data),
            HashChain.Compute("p", Stream, 1, "transaction_started",
                Json("""{"transactionId":"CP-1:7","meterStartWh":101,"samples":[{"value":"1.50"}]}""")),
            HashChain.Compute("p", Stream, 1, "transaction_started",
                Json("""{"transactionId":"CP-1:7","meterStartWh":100,"samples":[{"value":"1.5"}]}""")),
        ];

        variants.ShouldAllBe(v => v != hash);
        variants.Distinct().Count().ShouldBe(variants.Length);
    }

    [Fact]
    public void field_boundaries_cannot_be_shifted_between_stream_key_and_version()
    {
        HashChain.Compute("", "s1", 23, "t", Data).ShouldNotBe(HashChain.Compute("", "s12", 3, "t", Data));
    }

    [Fact]
    public void canonical_json_sorts_keys_ordinally_at_every_level()
    {
        Canonical("""{"b":1,"a":{"d":true,"c":null},"B":[{"z":1,"y":2}]}""").ShouldBe("""{"B":[{"y":2,"z":1}],"a":{"c":null,"d":true},"b":1}""");
    }

    [Fact]
    public void canonical_json_ignores_whitespace()
    {
        Canonical("{ \"a\" : [ 1 , 2 ] ,\n\t\"b\" : \"x y\" }").ShouldBe("""{"a":[1,2],"b":"x y"}""");
    }

    [Theory]
    [InlineData("1.50", "1.5")]
    [InlineData("1e2", "100")]
    [InlineData("1E+2", "100")]
    [InlineData("100.000", "100")]
    [InlineData("-0.10", "-0.1")]
    [InlineData("2.5e-1", "0.25")]
    [InlineData("12345", "12345")]
    public void canonical_json_normalises_numbers(string number, string canonical)
    {
        Canonical($$"""{"n":{{number}}}""").ShouldBe($$"""{"n":{{canonical}}}""");
    }

    [Fact]
    public void canonical_json_keeps_strings_exactly_including_numeric_looking_ones()
    {
        Canonical("""{"v":"1.50","w":"a\"b<>&é"}""").ShouldBe("""{"v":"1.50","w":"a\"b<>&é"}""");
    }

    [Fact]
    public void hashes_agree_for_data_that_differs_only_in_key_order_whitespace_and_number_form()
    {
        var stored = Json("""{ "samples":[{"value":"1.50"}], "meterStartWh": 1e2, "transactionId":"CP-1:7" }""");

        HashChain.Compute("", Stream, 1, "transaction_started", stored)
            .ShouldBe(HashChain.Compute("", Stream, 1, "transaction_started", Data));
    }

    private static List<HashChain.Link> Chain(int length)
    {
        var links = new List<HashChain.Link>();
        var previous = "";
        for (var version = 1; version <= length; version++)
        {
            var data = Json($$"""{"transactionId":"CP-1:7","n":{{version}}}""");
            var type = version == 1 ? "transaction_started" : "meter_values_recorded";
            var hash = HashChain.Compute(previous, Stream, version, type, data);
            links.Add(new HashChain.Link(version, type, data, hash, previous));
            previous = hash;
        }

        return links;
    }

    [Fact]
    public void a_good_chain_has_no_broken_link()
    {
        HashChain.FirstBrokenLink(Stream, Chain(5)).ShouldBeNull();
        HashChain.FirstBrokenLink(Stream, []).ShouldBeNull();
    }

    [Fact]
    public void the_chain_is_bound_to_its_stream()
    {
        HashChain.FirstBrokenLink("transaction:CP-1:8", Chain(3)).ShouldBe(1);
    }

    [Fact]
    public void tampered_data_breaks_at_that_link()
    {
        var links = Chain(5);
        links[2] = links[2] with { Data = Json("""{"transactionId":"CP-1:7","n":99}""") };

        HashChain.FirstBrokenLink(Stream, links).ShouldBe(3);
    }

    [Fact]
    public void tampered_type_breaks_at_that_link()
    {
        var links = Chain(5);
        links[3] = links[3] with { EventTypeName = "transaction_stopped" };

        HashChain.FirstBrokenLink(Stream, links).ShouldBe(4);
    }

    [Fact]
    public void a_rehashed_tampered_link_still_breaks_the_next_one()
    {
        var links = Chain(5);
        var data = Json("""{"transactionId":"CP-1:7","n":99}""");
        links[2] = links[2] with { Data = data, Hash = HashChain.Compute(links[2].PreviousHash!, Stream, 3, links[2].EventTypeName, data) };

        HashChain.FirstBrokenLink(Stream, links).ShouldBe(4);
    }

    [Fact]
    public void a_deleted_link_breaks_at_the_link_after_the_gap()
    {
        var links = Chain(5);
        links.RemoveAt(1);

        HashChain.FirstBrokenLink(Stream, links).ShouldBe(3);
    }

    [Fact]
    public void a_deleted_first_link_breaks_at_the_new_first_link()
    {
        HashChain.FirstBrokenLink(Stream, Chain(3).Skip(1)).ShouldBe(2);
    }

    [Fact]
    public void reordered_links_break_at_the_first_out_of_place_link()
    {
        var links = Chain(5);
        (links[1], links[2]) = (links[2], links[1]);

        HashChain.FirstBrokenLink(Stream, links).ShouldBe(3);
    }

    [Fact]
    public void a_missing_or_wrong_previous_hash_header_breaks_the_link()
    {
        var links = Chain(3);
        links[1] = links[1] with { PreviousHash = null };
        HashChain.FirstBrokenLink(Stream, links).ShouldBe(2);

        var first = Chain(3);
        first[0] = first[0] with { Hash = null };
        HashChain.FirstBrokenLink(Stream, first).ShouldBe(1);
    }
}
