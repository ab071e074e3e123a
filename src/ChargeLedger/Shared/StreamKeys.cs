using System.Text.RegularExpressions;

namespace ChargeLedger.Shared;

/// <summary>
/// Stream identity is one string space store-wide (StreamIdentity.AsString), so every key carries its
/// stream kind: an idTag "CP-1" must never land in charge point CP-1's stream.
/// </summary>
public static partial class StreamKeys
{
    public const string ChargePointPrefix = "chargepoint:";
    public const string TransactionPrefix = "transaction:";
    public const string IdTagPrefix = "idtag:";
    public const string StationPrefix = "station:";
    public const string TariffPrefix = "tariff:";
    public const string GatewayPrefix = "gateway:";
    public const string CommandPrefix = "command:";
    public const string DevicePrefix = "device:";
    public const string AlarmPrefix = "alarm:";
    public const string AlarmRulePrefix = "alarmrule:";

    public static string ChargePoint(string chargePointId) => ChargePointPrefix + chargePointId;

    public static string Station(string stationId) => StationPrefix + stationId;

    public static string Tariff(string tariffId) => TariffPrefix + tariffId;

    public static string Gateway(string gatewayId) => GatewayPrefix + gatewayId;

    public static string Command(string commandId) => CommandPrefix + commandId;

    public static string Device(string deviceId) => DevicePrefix + deviceId;

    public static string Alarm(string alarmId) => AlarmPrefix + alarmId;

    public static string AlarmRule(string ruleId) => AlarmRulePrefix + ruleId;

    /// <summary>OCPP 1.6 idTag is a CiString20: compared case-insensitively, so the key is upper-cased.</summary>
    public static string IdTag(string idTag) => IdTagPrefix + idTag.ToUpperInvariant();

    /// <summary>The public transaction id, "{chargePointId}:{ocppTransactionId}".</summary>
    public static string TransactionId(string chargePointId, int ocppTransactionId) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{chargePointId}:{ocppTransactionId}");

    public static string Transaction(string transactionId) => TransactionPrefix + transactionId;

    /// <summary>
    /// Charge point and station ids: ASCII letters, digits, '.', '_' and '-', 1-48 characters
    /// (the OCPP security whitepaper's identity length). Anything else (%2F, "..", ':', Unicode look-alikes)
    /// is refused rather than canonicalised, so one id can never reach another station's record.
    /// </summary>
    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
