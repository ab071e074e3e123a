using ChargeLedger.Access;

namespace ChargeLedger.Tests.Access;

public class PasswordHasherTests
{
    // Low cost for speed; the default is asserted separately without hashing.
    private readonly PasswordHasher _hasher = new(iterations: 1_000);

    private const string Password = "correct-horse-battery-staple";

    [Fact]
    public void hash_is_salted_so_two_hashes_of_one_password_differ()
    {
        _hasher.Hash(Password).ShouldNotBe(_hasher.Hash(Password));
    }

    [Fact]
    public void verifies_the_right_password()
    {
        var stored = _hasher.Hash(Password);

        _hasher.Verify(Password, stored).ShouldBeTrue();
        _hasher.Verify(Password, stored).ShouldBeTrue();
    }

    [Fact]
    public void a_hash_verifies_in_another_process_instance()
    {
        new PasswordHasher(5).Verify(Password, _hasher.Hash(Password)).ShouldBeTrue();
    }

    [Theory]
    [InlineData("correct-horse-battery-stapl")]
    [InlineData("Correct-horse-battery-staple")]
    [InlineData("")]
    public void rejects_a_wrong_password(string wrong)
    {
        var stored = _hasher.Hash(Password);

        _hasher.Verify(wrong, stored).ShouldBeFalse();
    }

    [Fact]
    public void a_remembered_verification_does_not_admit_another_password()
    {
        var stored = _hasher.Hash(Password);
        _hasher.Verify(Password, stored).ShouldBeTrue();

        _hasher.Verify("other-password-entirely", stored).ShouldBeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("plaintext")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==$aGFzaA==$extra")]
    [InlineData("pbkdf2-sha1$1000$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$-1$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$abc$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$not base64!$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==$not base64!")]
    [InlineData("pbkdf2-sha256$0$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==$")]
    [InlineData("pbkdf2-sha256$1000$$")]
    public void rejects_malformed_stored_hashes_without_throwing(string stored)
    {
        _hasher.Verify(Password, stored).ShouldBeFalse();
        _hasher.Verify("", stored).ShouldBeFalse();
    }

    [Fact]
    public void the_stored_form_carries_scheme_iteration_count_salt_and_hash()
    {
        var parts = _hasher.Hash(Password).Split('$');

        parts.Length.ShouldBe(4);
        parts[0].ShouldBe("pbkdf2-sha256");
        parts[1].ShouldBe("1000");
        Convert.FromBase64String(parts[2]).Length.ShouldBe(16);
        Convert.FromBase64String(parts[3]).Length.ShouldBe(32);
    }

    [Fact]
    public void default_iteration_count_is_600000()
    {
        PasswordHasher.DefaultIterations.ShouldBe(600_000);
        new PasswordHasher().Hash("x").Split('$')[1].ShouldBe("600000");
    }

    [Fact]
    public void generate_gives_24_characters_from_the_unambiguous_alphabet()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_";

        var passwords = Enumerable.Range(0, 50).Select(_ => PasswordHasher.Generate()).ToList();

        passwords.ShouldAllBe(p => p.Length == 24 && p.All(c => alphabet.Contains(c, StringComparison.Ordinal)));
        passwords.Distinct().Count().ShouldBe(50);
        PasswordHasher.Generate(40).Length.ShouldBe(40);
    }

    [Fact]
    public void generated_passwords_fit_the_registration_rule()
    {
        PasswordHasher.Generate().ShouldMatch("^[\\x21-\\x7E]{16,40}$");
    }

    [Fact]
    public void a_generated_password_is_stored_as_a_salted_hmac_and_verifies_without_the_slow_hash()
    {
        var (password, stored) = PasswordHasher.Generated();
        var parts = stored.Split('$');

        (parts.Length, parts[0], password.Length).ShouldBe((3, "hmac-sha256", 24));
        Convert.FromBase64String(parts[1]).Length.ShouldBe(16);
        Convert.FromBase64String(parts[2]).Length.ShouldBe(32);
        stored.ShouldNotContain(password);
        _hasher.Verify(password, stored).ShouldBeTrue();
        new PasswordHasher(5).Verify(password, stored).ShouldBeTrue();
        PasswordHasher.Generated().Stored.ShouldNotBe(stored);
    }

    [Fact]
    public async Task a_generated_password_verifies_asynchronously_and_rejects_any_other()
    {
        var (password, stored) = PasswordHasher.Generated();

        (await _hasher.VerifyAsync(password, stored, TestContext.Current.CancellationToken)).ShouldBeTrue();
        (await _hasher.VerifyAsync(password[..^1], stored, TestContext.Current.CancellationToken)).ShouldBeFalse();
        (await _hasher.VerifyAsync(PasswordHasher.Generated().Password, stored, TestContext.Current.CancellationToken)).ShouldBeFalse();
        _hasher.Verify("", stored).ShouldBeFalse();
    }

    [Fact]
    public void a_chosen_password_never_gets_the_fast_form()
    {
        var (password, _) = PasswordHasher.Generated();

        _hasher.Hash(password).ShouldStartWith("pbkdf2-sha256$1000$");
    }

    [Theory]
    [InlineData("hmac-sha256")]
    [InlineData("hmac-sha256$")]
    [InlineData("hmac-sha256$$")]
    [InlineData("hmac-sha256$c2FsdA==$")]
    [InlineData("hmac-sha256$$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=")]
    [InlineData("hmac-sha256$c2FsdA==$aGFzaA==")]
    [InlineData("hmac-sha256$not base64!$aGFzaA==")]
    [InlineData("hmac-sha256$c2FsdA==$aGFzaA==$extra")]
    [InlineData("hmac-sha1$c2FsdA==$aGFzaA==")]
    public async Task rejects_malformed_generated_hashes_without_throwing(string stored)
    {
        _hasher.Verify(Password, stored).ShouldBeFalse();
        _hasher.Verify("", stored).ShouldBeFalse();
        (await _hasher.VerifyAsync(Password, stored, TestContext.Current.CancellationToken)).ShouldBeFalse();
    }
}
