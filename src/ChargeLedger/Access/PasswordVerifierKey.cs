using System.Security.Cryptography;
using System.Text;

namespace ChargeLedger.Access;

/// <summary>
/// The secret under which <see cref="PasswordHasher.KeyedVerifier"/> records that a chosen password was checked against
/// its slow hash, so that the check survives a restart and is shared by every node with the same key (RELIABILITY H2: a
/// network reconnecting to a restarted node would otherwise cost ~0.2 s of CPU per charge point). It must be kept
/// outside the database, like the API keys: the database alone then gives an attacker nothing faster to guess against
/// than PBKDF2, while the database and this key together make chosen passwords as fast to guess as an HMAC.
/// Configured as <c>ChargeLedger:Security:VerifierKey</c> (base64, at least 32 bytes) or
/// <c>ChargeLedger:Security:VerifierKeyFile</c> (a file holding that base64; created with 32 random bytes and mode 600
/// when missing). Without either, chosen passwords are checked once per process, as before.
/// </summary>
public sealed class PasswordVerifierKey
{
    public const int MinimumBytes = 32;

    private readonly byte[] _key;

    public PasswordVerifierKey(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < MinimumBytes)
        {
            throw new ArgumentException($"A password verifier key needs at least {MinimumBytes} bytes; this one has {key.Length}.", nameof(key));
        }

        _key = [.. key];
        // Names the key in each verifier, so that one made under another key is recognised as such, not compared. Four
        // bytes of a hash of a 256-bit secret give nothing away.
        Id = Convert.ToHexStringLower(SHA256.HashData(_key).AsSpan(0, 4));
    }

    /// <summary>Eight hex digits naming this key in the verifiers made under it.</summary>
    public string Id { get; }

    /// <summary>HMAC-SHA256 under this key of the stored hash and the password, NUL-separated.</summary>
    public byte[] Mac(string stored, string password) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(stored + "\0" + password));

    /// <summary>A fresh random key in the configuration's form (base64 of 32 bytes).</summary>
    public static string NewBase64() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinimumBytes));

    /// <summary>
    /// The configured key: <paramref name="base64"/> if given, else the one in <paramref name="file"/> (created when
    /// missing), else none. Both given, or a key that is not base64 of at least 32 bytes, is a configuration error.
    /// </summary>
    public static PasswordVerifierKey? Load(string? base64, string? file)
    {
        var hasValue = !string.IsNullOrWhiteSpace(base64);
        var hasFile = !string.IsNullOrWhiteSpace(file);
        if (hasValue && hasFile)
        {
            throw new InvalidOperationException(
                "Configure either ChargeLedger:Security:VerifierKey or ChargeLedger:Security:VerifierKeyFile, not both.");
        }

        if (hasValue)
        {
            return Parse(base64!, "ChargeLedger:Security:VerifierKey");
        }

        return hasFile ? Parse(ReadOrCreate(file!), $"the key file {file}") : null;
    }

    private static PasswordVerifierKey Parse(string base64, string source)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The password verifier key in {source} is not base64.");
        }

        return key.Length >= MinimumBytes
            ? new PasswordVerifierKey(key)
            : throw new InvalidOperationException(
                $"The password verifier key in {source} has {key.Length} bytes; it needs at least {MinimumBytes} (e.g. `head -c 32 /dev/urandom | base64`).");
    }

    /// <summary>
    /// Reads the key file, or writes a new key to it first. The new key goes to a private temporary file that is then
    /// moved into place without overwriting, so nodes starting together on a shared path all end up with the first one.
    /// </summary>
    private static string ReadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(directory);
            var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using (var writer = new StreamWriter(temporary, Encoding.ASCII, options))
                {
                    writer.WriteLine(NewBase64());
                }

                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
            finally
            {
                File.Delete(temporary);
            }
        }

        return File.ReadAllText(path);
    }
}
