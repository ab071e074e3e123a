using ChargeLedger.Access;

namespace ChargeLedger.Tests.Access;

public sealed class PasswordVerifierKeyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("chargeledger-key-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void nothing_configured_means_no_key()
    {
        PasswordVerifierKey.Load(null, null).ShouldBeNull();
        PasswordVerifierKey.Load("", " ").ShouldBeNull();
    }

    [Fact]
    public void a_configured_value_is_the_key()
    {
        var base64 = PasswordVerifierKey.NewBase64();

        PasswordVerifierKey.Load(base64, null)!.Id.ShouldBe(new PasswordVerifierKey(Convert.FromBase64String(base64)).Id);
        PasswordVerifierKey.Load($" {base64}\n", null)!.Id.ShouldBe(PasswordVerifierKey.Load(base64, null)!.Id);
    }

    [Fact]
    public void a_missing_key_file_is_created_private_and_read_back_the_same_on_the_next_start()
    {
        var path = Path.Combine(_directory, "state", "password-verifier-key");

        var first = PasswordVerifierKey.Load(null, path)!;
        var second = PasswordVerifierKey.Load(null, path)!;

        second.Id.ShouldBe(first.Id);
        Convert.FromBase64String(File.ReadAllText(path).Trim()).Length.ShouldBe(32);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Directory.GetFiles(Path.GetDirectoryName(path)!).ShouldBe([path]); // no temporary file left behind
    }

    [Fact]
    public void an_existing_key_file_is_used_as_it_is()
    {
        var path = Path.Combine(_directory, "key");
        var base64 = PasswordVerifierKey.NewBase64();
        File.WriteAllText(path, base64 + "\n");

        PasswordVerifierKey.Load(null, path)!.Id.ShouldBe(PasswordVerifierKey.Load(base64, null)!.Id);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")]
    public void a_key_that_is_not_base64_of_32_bytes_stops_the_start_with_the_setting_named(string value)
    {
        Should.Throw<InvalidOperationException>(() => PasswordVerifierKey.Load(value, null)).Message.ShouldContain("ChargeLedger:Security:VerifierKey");

        var path = Path.Combine(_directory, "bad-key");
        File.WriteAllText(path, value);
        Should.Throw<InvalidOperationException>(() => PasswordVerifierKey.Load(null, path)).Message.ShouldContain(path);
    }

    [Fact]
    public void a_value_and_a_file_together_are_refused()
    {
        Should.Throw<InvalidOperationException>(() => PasswordVerifierKey.Load(PasswordVerifierKey.NewBase64(), Path.Combine(_directory, "key")))
            .Message.ShouldContain("not both");
    }
}
