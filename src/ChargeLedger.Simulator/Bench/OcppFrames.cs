using System.Buffers.Text;
using System.Globalization;

namespace ChargeLedger.Simulator.Bench;

public enum OcppAction
{
    BootNotification,
    StatusNotification,
    Authorize,
    StartTransaction,
    MeterValues,
    StopTransaction,
    Heartbeat,
}

/// <summary>The variable parts of one CALL; the rest of each frame is a constant UTF-8 literal.</summary>
public readonly record struct CallArguments(int ConnectorId, int TransactionId, long MeterWh, int PowerW);

/// <summary>
/// OCPP-J 1.6 CALL frames <c>[2,"id","Action",{...}]</c> (OCPP-J 1.6 §4.2.1) written straight into a send buffer: no
/// JSON serializer, no strings, no allocation per call. Ids and idTags are checked to need no JSON escaping (BenchArguments).
/// </summary>
public static class OcppFrames
{
    public static readonly string[] ActionNames = Enum.GetNames<OcppAction>();

    public static int Write(Span<byte> buffer, OcppAction action, int messageId, ReadOnlySpan<byte> chargePointId, ReadOnlySpan<byte> idTag,
        in CallArguments args, DateTime utcNow)
    {
        var w = new Writer(buffer);
        w.Raw("[2,\""u8);
        w.Int(messageId);
        switch (action)
        {
            case OcppAction.BootNotification:
                w.Raw("\",\"BootNotification\",{\"chargePointVendor\":\"ChargeLedger\",\"chargePointModel\":\"bench\",\"chargePointSerialNumber\":\""u8);
                w.Raw(chargePointId);
                w.Raw("\",\"firmwareVersion\":\"1.0\"}]"u8);
                break;
            case OcppAction.StatusNotification:
                w.Raw("\",\"StatusNotification\",{\"connectorId\":"u8);
                w.Int(args.ConnectorId);
                w.Raw(",\"errorCode\":\"NoError\",\"status\":\"Available\",\"timestamp\":\""u8);
                w.Timestamp(utcNow);
                w.Raw("\"}]"u8);
                break;
            case OcppAction.Authorize:
                w.Raw("\",\"Authorize\",{\"idTag\":\""u8);
                w.Raw(idTag);
                w.Raw("\"}]"u8);
                break;
            case OcppAction.StartTransaction:
                w.Raw("\",\"StartTransaction\",{\"connectorId\":"u8);
                w.Int(args.ConnectorId);
                w.Raw(",\"idTag\":\""u8);
                w.Raw(idTag);
                w.Raw("\",\"meterStart\":"u8);
                w.Int(args.MeterWh);
                w.Raw(",\"timestamp\":\""u8);
                w.Timestamp(utcNow);
                w.Raw("\"}]"u8);
                break;
            case OcppAction.MeterValues:
                w.Raw("\",\"MeterValues\",{\"connectorId\":"u8);
                w.Int(args.ConnectorId);
                w.Raw(",\"transactionId\":"u8);
                w.Int(args.TransactionId);
                w.Raw(",\"meterValue\":[{\"timestamp\":\""u8);
                w.Timestamp(utcNow);
                w.Raw("\",\"sampledValue\":[{\"value\":\""u8);
                w.Int(args.MeterWh);
                w.Raw("\",\"context\":\"Sample.Periodic\",\"measurand\":\"Energy.Active.Import.Register\",\"location\":\"Outlet\",\"unit\":\"Wh\"},{\"value\":\""u8);
                w.Int(args.PowerW);
                w.Raw("\",\"context\":\"Sample.Periodic\",\"measurand\":\"Power.Active.Import\",\"location\":\"Outlet\",\"unit\":\"W\"}]}]}]"u8);
                break;
            case OcppAction.StopTransaction:
                w.Raw("\",\"StopTransaction\",{\"transactionId\":"u8);
                w.Int(args.TransactionId);
                w.Raw(",\"idTag\":\""u8);
                w.Raw(idTag);
                w.Raw("\",\"meterStop\":"u8);
                w.Int(args.MeterWh);
                w.Raw(",\"timestamp\":\""u8);
                w.Timestamp(utcNow);
                w.Raw("\",\"reason\":\"Local\"}]"u8);
                break;
            case OcppAction.Heartbeat:
                w.Raw("\",\"Heartbeat\",{}]"u8);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }

        return w.Position;
    }

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Position..]);
            Position += bytes.Length;
        }

        public void Int(long value)
        {
            Utf8Formatter.TryFormat(value, _buffer[Position..], out var written);
            Position += written;
        }

        public void Timestamp(DateTime utc)
        {
            utc.TryFormat(_buffer[Position..], out var written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            Position += written;
        }
    }
}
