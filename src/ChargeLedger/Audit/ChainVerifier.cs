using System.Buffers;
using System.Text.Json;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;

namespace ChargeLedger.Audit;

/// <summary>Why a stored transaction stream no longer verifies.</summary>
public static class ChainBreakReasons
{
    /// <summary>A version is missing in the middle of the stream (an event was deleted).</summary>
    public const string MissingVersion = "missing_version";

    /// <summary>The stream's recorded version is beyond its last event (its last events were deleted).</summary>
    public const string MissingTail = "missing_tail";

    /// <summary>An event's stored previousHash is not the hash of the event before it.</summary>
    public const string PreviousHashMismatch = "previous_hash_mismatch";

    /// <summary>An event's stored hash is not the hash of its content (data, type, version or stream edited).</summary>
    public const string HashMismatch = "hash_mismatch";

    /// <summary>An event carries no hash at all (written outside the ledger, or its headers were removed).</summary>
    public const string MissingHash = "missing_hash";

    /// <summary>Events beyond the stream's recorded version (mt_streams.version was lowered).</summary>
    public const string EventsBeyondStreamVersion = "events_beyond_stream_version";
}

/// <summary>The first broken link of one stream: where, why, and what was expected against what is stored.</summary>
public sealed record ChainBreak(string TransactionId, string Stream, long Version, long? Sequence, string Reason, string Expected, string Stored);

/// <summary>
/// Verifies one transaction stream's hash chain (<see cref="HashChain"/>) event by event, in version order, holding only
/// the previous link: versions must run 1, 2, 3… without a gap, each event's previousHash must be the previous event's
/// hash and its hash must match its content, and the last version must be the stream's recorded version (mt_streams),
/// which is how a deleted last event shows. Reports the first broken link only; everything after it is suspect anyway.
/// </summary>
public sealed class ChainVerifier(string streamKey, long streamVersion)
{
    private string _previousHash = "";
    private readonly ArrayBufferWriter<byte> _scratch = new(8192);
    private long _lastVersion;

    public string StreamKey { get; } = streamKey;

    /// <summary>The first break found; once set, later events are not checked.</summary>
    public ChainBreak? Break { get; private set; }

    /// <summary>Events read from the stream (after a break they are read but no longer compared).</summary>
    public long EventsChecked { get; private set; }

    public ChainBreak? Accept(long sequence, long version, string eventTypeName, JsonElement data, string? hash, string? previousHash)
    {
        EventsChecked++;
        if (Break is not null)
        {
            return null;
        }

        var expectedVersion = _lastVersion + 1;
        if (version > streamVersion)
        {
            return Fail(version, sequence, ChainBreakReasons.EventsBeyondStreamVersion, $"at most version {streamVersion} (mt_streams)", $"version {version}");
        }

        if (version != expectedVersion)
        {
            return Fail(expectedVersion, sequence, ChainBreakReasons.MissingVersion, $"version {expectedVersion}", $"version {version}");
        }

        if (hash is null)
        {
            return Fail(version, sequence, ChainBreakReasons.MissingHash, "a hash header", "none");
        }

        if (previousHash != _previousHash)
        {
            return Fail(version, sequence, ChainBreakReasons.PreviousHashMismatch, Show(_previousHash), Show(previousHash));
        }

        var computed = HashChain.Compute(_previousHash, StreamKey, version, eventTypeName, data, _scratch);
        if (computed != hash)
        {
            return Fail(version, sequence, ChainBreakReasons.HashMismatch, computed, hash);
        }

        _previousHash = hash;
        _lastVersion = version;
        return null;
    }

    /// <summary>After the stream's last stored event: a recorded version beyond it means its tail was deleted.</summary>
    public ChainBreak? Complete() =>
        Break is null && _lastVersion < streamVersion
            ? Fail(_lastVersion + 1, null, ChainBreakReasons.MissingTail, $"versions up to {streamVersion} (mt_streams)",
                _lastVersion == 0 ? "no events" : $"last event is version {_lastVersion}")
            : null;

    private ChainBreak Fail(long version, long? sequence, string reason, string expected, string stored)
    {
        var transactionId = StreamKey.StartsWith(StreamKeys.TransactionPrefix, StringComparison.Ordinal)
            ? StreamKey[StreamKeys.TransactionPrefix.Length..]
            : StreamKey;
        Break = new ChainBreak(transactionId, StreamKey, version, sequence, reason, expected, stored);
        return Break;
    }

    private static string Show(string? hash) => hash switch
    {
        null => "none",
        "" => "\"\" (first event)",
        _ => hash,
    };
}
