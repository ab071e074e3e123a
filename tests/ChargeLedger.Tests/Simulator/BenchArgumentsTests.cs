using System.Text.Json;
using ChargeLedger.Simulator.Bench;

namespace ChargeLedger.Tests.Simulator;

public class BenchArgumentsTests
{
    [Fact]
    public void parses_an_ocpp_run()
    {
        BenchArguments.TryParse(
            ["bench", "--scenario", "ocpp", "--url", "http://127.0.0.1:5000", "--password", "pw-0123456789abcdef", "--charge-points", "200",
             "--rate", "1500", "--duration", "30", "--warmup", "2.5", "--server-pid", "42", "--json", "out.json"],
            out var options, out var error).ShouldBeTrue(error);

        options.Scenario.ShouldBe(BenchScenario.Ocpp);
        options.Url.ShouldBe(new Uri("http://127.0.0.1:5000/"));
        options.OcppBase.ShouldBe(new Uri("ws://127.0.0.1:5000/ocpp/"));
        options.ChargePoints.ShouldBe(200);
        options.Rate.ShouldBe(1500);
        options.Duration.ShouldBe(TimeSpan.FromSeconds(30));
        options.Warmup.ShouldBe(TimeSpan.FromSeconds(2.5));
        options.ServerPid.ShouldBe(42);
        options.JsonFile.ShouldBe("out.json");
        options.ChargePointId(7).ShouldBe("LOAD-0007");
        options.ChargePointId(50_000).ShouldBe("LOAD-50000");
    }

    [Fact]
    public void parses_a_copy_baseline_with_the_append_shapes()
    {
        BenchArguments.TryParse(
            ["bench", "--scenario", "copy-baseline", "--pg", "Host=127.0.0.1", "--from-seq", "10", "--to-seq", "20", "--shapes", "36", "--passes", "5"],
            out var options, out var error).ShouldBeTrue(error);

        options.Scenario.ShouldBe(BenchScenario.CopyBaseline);
        options.ShapeBatch.ShouldBe(36);
        options.Passes.ShouldBe(5);
        options.BatchSize.ShouldBe(1000);
        BenchArguments.TryParse(["bench", "--scenario", "copy-baseline", "--pg", "Host=127.0.0.1"], out var plain, out _).ShouldBeTrue();
        plain.ShapeBatch.ShouldBe(0);
    }

    [Fact]
    public void lag_sampling_is_off_without_an_api_key()
    {
        BenchArguments.TryParse(["bench", "--password", "pw", "--api-key", ""], out var options, out _).ShouldBeTrue();
        options.Lag.ShouldBeFalse();
    }

    [Theory]
    [InlineData("ocpp", "--password or --passwords is required")]
    [InlineData("connections", "--password or --passwords is required")]
    [InlineData("provision", "--password or --passwords is required")]
    [InlineData("copy-baseline", "--pg is required")]
    public void refuses_a_scenario_without_what_it_needs(string scenario, string expected)
    {
        BenchArguments.TryParse(["bench", "--scenario", scenario], out _, out var error).ShouldBeFalse();
        error.ShouldStartWith(expected);
    }

    [Fact]
    public void each_charge_point_takes_its_own_password_from_a_passwords_file_and_the_shared_one_otherwise()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, ["LOAD-0001\tfirst-generated-password", "LOAD-0002\tsecond-generated-password", "malformed line"]);

            BenchArguments.TryParse(["bench", "--scenario", "connections", "--passwords", file, "--password", "shared"], out var options, out _).ShouldBeTrue();

            (options.PasswordOf("LOAD-0001"), options.PasswordOf("LOAD-0002"), options.PasswordOf("LOAD-0003"))
                .ShouldBe(("first-generated-password", "second-generated-password", "shared"));
            options.Passwords!.Count.ShouldBe(2);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void provision_writes_generated_passwords_or_registers_a_chosen_one_not_both()
    {
        BenchArguments.TryParse(["bench", "--scenario", "provision", "--api-key", "k", "--passwords", "/nonexistent/out.tsv"], out var generated, out _)
            .ShouldBeTrue();
        (generated.PasswordsFile, generated.Passwords).ShouldBe(("/nonexistent/out.tsv", (IReadOnlyDictionary<string, string>?)null));
        BenchArguments.TryParse(["bench", "--scenario", "provision", "--api-key", "k", "--passwords", "f", "--password", "pw"], out _, out var both)
            .ShouldBeFalse();
        both.ShouldStartWith("--password and --passwords exclude each other");
        BenchArguments.TryParse(["bench", "--scenario", "ocpp", "--passwords", "/nonexistent/in.tsv"], out _, out var missing).ShouldBeFalse();
        missing.ShouldBe("--passwords: no file /nonexistent/in.tsv");
    }

    [Theory]
    [InlineData("--scenario", "soak")]
    [InlineData("--rate", "-1")]
    [InlineData("--connections", "0")]
    [InlineData("--prefix", "A\"B")]
    [InlineData("--idtag", "tag with spaces")]
    [InlineData("--duration", "0")]
    [InlineData("--url", "ftp://host")]
    [InlineData("--shapes", "0")]
    public void refuses_an_invalid_value(string option, string value)
    {
        BenchArguments.TryParse(["bench", "--password", "pw", option, value], out _, out var error).ShouldBeFalse();
        error.ShouldBe($"invalid value '{value}' for {option}");
    }

    [Fact]
    public void refuses_an_unknown_option_and_a_missing_value()
    {
        BenchArguments.TryParse(["bench", "--frobnicate", "1"], out _, out var unknown).ShouldBeFalse();
        unknown.ShouldBe("unknown option '--frobnicate'");
        BenchArguments.TryParse(["bench", "--rate"], out _, out var missing).ShouldBeFalse();
        missing.ShouldBe("--rate needs a value");
    }

    [Fact]
    public void copy_baseline_needs_a_nonempty_sequence_range()
    {
        BenchArguments.TryParse(["bench", "--scenario", "copy-baseline", "--pg", "Host=x", "--from-seq", "10", "--to-seq", "10"], out _, out var error)
            .ShouldBeFalse();
        error.ShouldBe("--to-seq must be above --from-seq");
    }

    [Theory]
    [InlineData(1, 0, 1)]
    [InlineData(20_000, 0, 1)]
    [InlineData(20_001, 0, 2)]
    [InlineData(100_000, 0, 5)]
    [InlineData(10, 3, 3)]
    public void picks_enough_source_addresses_for_the_ephemeral_ports(int sockets, int configured, int expected) =>
        new BenchOptions { SourceAddresses = configured }.SourceAddressCount(sockets).ShouldBe(expected);

    [Theory]
    [InlineData(OcppAction.BootNotification)]
    [InlineData(OcppAction.StatusNotification)]
    [InlineData(OcppAction.Authorize)]
    [InlineData(OcppAction.StartTransaction)]
    [InlineData(OcppAction.MeterValues)]
    [InlineData(OcppAction.StopTransaction)]
    [InlineData(OcppAction.Heartbeat)]
    public void frames_are_ocpp_j_calls_with_the_action_and_message_id(OcppAction action)
    {
        var buffer = new byte[1024];
        var length = OcppFrames.Write(buffer, action, 123, "LOAD-0001"u8, "TAG-0001"u8, new CallArguments(1, 77, 12_345, 7_000),
            new DateTime(2026, 12, 7, 1, 2, 3, 456, DateTimeKind.Utc));

        using var frame = JsonDocument.Parse(buffer.AsMemory(0, length));
        var root = frame.RootElement;
        root.GetArrayLength().ShouldBe(4);
        root[0].GetInt32().ShouldBe(2);
        root[1].GetString().ShouldBe("123");
        root[2].GetString().ShouldBe(action.ToString());
        root[3].ValueKind.ShouldBe(JsonValueKind.Object);
        var payload = root[3];
        switch (action)
        {
            case OcppAction.StartTransaction:
                payload.GetProperty("meterStart").GetInt64().ShouldBe(12_345);
                payload.GetProperty("timestamp").GetString().ShouldBe("2026-12-07T01:02:03.456Z");
                break;
            case OcppAction.MeterValues:
                payload.GetProperty("transactionId").GetInt32().ShouldBe(77);
                payload.GetProperty("meterValue")[0].GetProperty("sampledValue")[0].GetProperty("value").GetString().ShouldBe("12345");
                break;
            case OcppAction.Authorize:
                payload.GetProperty("idTag").GetString().ShouldBe("TAG-0001");
                break;
            case OcppAction.BootNotification:
                payload.GetProperty("chargePointSerialNumber").GetString().ShouldBe("LOAD-0001");
                break;
        }
    }
}
