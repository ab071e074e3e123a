using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChargeLedger.Access;

/// <summary>
/// Charge point and gateway passwords (OCPP security profiles 1/2, MQTT), stored only hashed, in self-describing forms:
/// <list type="bullet">
/// <item>A password an operator chose: a salted slow hash, PBKDF2-HMAC-SHA256, 600,000 iterations by default (OWASP
/// 2023), "pbkdf2-sha256$iterations$salt$hash", so the cost can be raised without invalidating stored hashes. Its
/// strength is unknown, so a stolen hash must be expensive to guess against: ~0.2 s of CPU per check.</item>
/// <item>A password this class generated (<see cref="Generated"/>): 24 characters drawn at random from 57, ~140 bits.
/// No guessing reaches that at any hash speed, so the slow hash would buy nothing and cost every first connection
/// (and every connection after a restart, RELIABILITY H2) ~0.2 s of CPU: it is stored as "hmac-sha256$salt$hash", an
/// HMAC-SHA256 keyed with its salt, checked in about a microsecond. Only <see cref="Generated"/> produces this form,
/// so a chosen password never gets it.</item>
/// </list>
/// A chosen password's slow hash is checked once per process; with a <see cref="PasswordVerifierKey"/> configured, once
/// per charge point or gateway and key (<see cref="KeyedVerifier"/>), so a restarted node admits a reconnect storm without
/// it (RELIABILITY H2).
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    public const int DefaultIterations = 600_000;
    private const string Scheme = "pbkdf2-sha256";
    private const string GeneratedScheme = "hmac-sha256";
    private const string KeyedScheme = "hmac-sha256-key";
    private const int GeneratedLength = 24;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private static readonly Meter Meter = new("ChargeLedger.Access");
    private static readonly Counter<long> SlowCheckCounter = Meter.CreateCounter<long>("chargeledger.access.slow_password_checks",
        description: "PBKDF2 checks of chosen passwords (~0.2 s of CPU each at the default cost)");

    private readonly int _iterations;
    private readonly PasswordVerifierKey? _verifierKey;
    private long _slowCheckCount;

    // A verified (stored hash, password) pair is remembered as an HMAC under a per-process random key, so a
    // reconnect storm costs one PBKDF2 per charge point per process, and no plaintext password is held in memory.
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, byte[]> _verified = new(StringComparer.Ordinal);

    // A PBKDF2 check is ~0.2 s of CPU. A reconnect storm of hundreds of charge points must not run them all at once
    // on the thread pool (that starves every socket, and all handshakes time out together): one check per core runs,
    // the rest wait their turn, bounded by the caller's deadline.
    private readonly SemaphoreSlim _slowChecks = new(Environment.ProcessorCount, Environment.ProcessorCount);

    public PasswordHasher(int iterations = DefaultIterations, PasswordVerifierKey? verifierKey = null)
    {
        _iterations = iterations;
        _verifierKey = verifierKey;
    }

    /// <summary>PBKDF2 checks this instance ran (each ~0.2 s of CPU at the default cost).</summary>
    public long SlowChecks => Interlocked.Read(ref _slowCheckCount);

    /// <summary>A new random password (<see cref="Generate"/>) and its stored form, checked without the slow hash.</summary>
    public static (string Password, string Stored) Generated()
    {
        var password = Generate(GeneratedLength);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(password));
        return (password, string.Create(CultureInfo.InvariantCulture, $"{GeneratedScheme}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}"));
    }

    /// <summary>The stored form of a password an operator chose (the slow hash).</summary>
    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, _iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${_iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>
    /// The record that lets any node holding the same <see cref="PasswordVerifierKey"/> admit <paramref name="password"/>
    /// for the slow hash <paramref name="stored"/> without running it: "hmac-sha256-key$keyId$mac", an HMAC-SHA256 under
    /// the key of the stored hash and the password, so it is void for any other stored hash. Null without a key, and for
    /// generated passwords (already fast). Stored beside the hash; worthless without the key, which is never in the
    /// database.
    /// </summary>
    public string? KeyedVerifier(string password, string stored) =>
        _verifierKey is { } key && !IsGenerated(stored)
            ? string.Create(CultureInfo.InvariantCulture, $"{KeyedScheme}${key.Id}${Convert.ToBase64String(key.Mac(stored, password))}")
            : null;

    /// <summary>
    /// Verifies with the per-process cache first; a slow check waits for a free core. Throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> ends the wait.
    /// </summary>
    public async Task<bool> VerifyAsync(string password, string stored, CancellationToken cancellationToken) =>
        (await CheckAsync(password, stored, null, cancellationToken)).Valid;

    /// <summary>
    /// Verifies <paramref name="password"/> against <paramref name="stored"/>, admitting it at once when
    /// <paramref name="verifier"/> is a <see cref="KeyedVerifier"/> under this node's key that matches; a verifier that does
    /// not match never rejects by itself (it may be stale or under another key): the slow hash decides, so a wrong
    /// password costs what it always did. A slow check waits for a free core; <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> ends the wait. <see cref="PasswordCheck.NewVerifier"/> is the verifier
    /// to store when the password was right and the stored one is missing or void.
    /// </summary>
    public async Task<PasswordCheck> CheckAsync(string password, string stored, string? verifier, CancellationToken cancellationToken)
    {
        if (IsGenerated(stored))
        {
            return new PasswordCheck(VerifyGenerated(password, stored), null);
        }

        if (MatchesVerifier(password, stored, verifier))
        {
            return new PasswordCheck(true, null);
        }

        if (IsKnown(password, stored))
        {
            return new PasswordCheck(true, KeyedVerifier(password, stored));
        }

        await _slowChecks.WaitAsync(cancellationToken);
        try
        {
            return CheckSlowly(password, stored);
        }
        finally
        {
            _slowChecks.Release();
        }
    }

    /// <summary><see cref="CheckAsync"/> on the caller's thread, without waiting for a free core.</summary>
    public PasswordCheck Check(string password, string stored, string? verifier)
    {
        return MatchesVerifier(password, stored, verifier) ? new PasswordCheck(true, null) : CheckSlowly(password, stored);
    }

    /// <summary>The slow hash decides (or the per-process memory of it); a right password gets a verifier to store.</summary>
    private PasswordCheck CheckSlowly(string password, string stored) =>
        Verify(password, stored) ? new PasswordCheck(true, KeyedVerifier(password, stored)) : new PasswordCheck(false, null);

    private bool MatchesVerifier(string password, string stored, string? verifier)
    {
        if (_verifierKey is not { } key || verifier is null || IsGenerated(stored))
        {
            return false;
        }

        var parts = verifier.Split('$');
        if (parts.Length != 3 || parts[0] != KeyedScheme || parts[1] != key.Id)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HashBytes];
        return Convert.TryFromBase64String(parts[2], expected, out var written) && written == HashBytes &&
               CryptographicOperations.FixedTimeEquals(key.Mac(stored, password), expected);
    }

    private bool IsKnown(string password, string stored) =>
        _verified.TryGetValue(stored, out var known) &&
        CryptographicOperations.FixedTimeEquals(known, HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes(stored + "\0" + password)));

    public void Dispose() => _slowChecks.Dispose();

    public bool Verify(string password, string stored)
    {
        if (IsGenerated(stored))
        {
            return VerifyGenerated(password, stored);
        }

        var fingerprint = HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes(stored + "\0" + password));
        if (_verified.TryGetValue(stored, out var known) && CryptographicOperations.FixedTimeEquals(known, fingerprint))
        {
            return true;
        }

        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var rounds))
        {
            return false;
        }

        // Zero rounds would make Pbkdf2 throw; a malformed record is a rejection, not an error.
        if (rounds < 1 || !TryDecode(parts[2], parts[3], out var salt, out var expected))
        {
            return false;
        }

        Interlocked.Increment(ref _slowCheckCount);
        SlowCheckCounter.Add(1);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, rounds, HashAlgorithmName.SHA256, expected.Length);
        if (!CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            return false;
        }

        _verified[stored] = fingerprint;
        return true;
    }

    private static bool IsGenerated(string stored) => stored.StartsWith(GeneratedScheme + "$", StringComparison.Ordinal);

    private static bool VerifyGenerated(string password, string stored)
    {
        var parts = stored.Split('$');
        return parts.Length == 3 && TryDecode(parts[1], parts[2], out var salt, out var expected) &&
               CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(password)), expected);
    }

    /// <summary>
    /// A stored record's salt and hash. No salt, or a hash of the wrong size, is a malformed record and fails closed (a
    /// record with no hash bytes would otherwise compare equal for every password: empty == empty).
    /// </summary>
    private static bool TryDecode(string salt64, string hash64, out byte[] salt, out byte[] hash)
    {
        try
        {
            salt = Convert.FromBase64String(salt64);
            hash = Convert.FromBase64String(hash64);
        }
        catch (FormatException)
        {
            (salt, hash) = ([], []);
            return false;
        }

        return salt.Length > 0 && hash.Length == HashBytes;
    }

    /// <summary>A random password of printable, shell- and URL-friendly characters.</summary>
    public static string Generate(int length = 24) =>
        RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_", length);
}

/// <summary>The outcome of a password check, and the keyed verifier to store beside the hash when there is a new one.</summary>
public readonly record struct PasswordCheck(bool Valid, string? NewVerifier);
