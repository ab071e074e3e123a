using System.Text.Json;

namespace ChargeLedger.Ocpp.Framing;

/// <summary>One parsed OCPP-J message; payloads are self-contained copies, valid after the receive buffer is reused.</summary>
public abstract record OcppFrame;

/// <summary>[2, MessageId, Action, Payload] (OCPP-J 1.6 §4.2.1).</summary>
public sealed record OcppCall(string MessageId, string Action, JsonElement Payload) : OcppFrame;

/// <summary>[3, MessageId, Payload] (OCPP-J 1.6 §4.2.2).</summary>
public sealed record OcppCallResult(string MessageId, JsonElement Payload) : OcppFrame;

/// <summary>[4, MessageId, ErrorCode, ErrorDescription, ErrorDetails] (OCPP-J 1.6 §4.2.3).</summary>
public sealed record OcppCallError(string MessageId, string ErrorCode, string ErrorDescription, JsonElement ErrorDetails) : OcppFrame;

/// <summary>
/// A frame that is not a valid OCPP-J message. <see cref="MessageId"/> is set only when the frame is a CALL
/// (or of an unknown type) with a valid id, i.e. when a CALLERROR with that id is a meaningful answer;
/// otherwise it is null and the frame can only be counted.
/// </summary>
public sealed record OcppBadFrame(string? MessageId, string ErrorCode, string Description) : OcppFrame;
