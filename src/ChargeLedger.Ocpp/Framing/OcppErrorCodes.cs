namespace ChargeLedger.Ocpp.Framing;

/// <summary>CALLERROR error codes of OCPP-J 1.6 §4.2.3, spelled exactly as the specification.</summary>
public static class OcppErrorCodes
{
    public const string NotImplemented = "NotImplemented";
    public const string NotSupported = "NotSupported";
    public const string InternalError = "InternalError";
    public const string ProtocolError = "ProtocolError";
    public const string SecurityError = "SecurityError";
    public const string FormationViolation = "FormationViolation";
    public const string PropertyConstraintViolation = "PropertyConstraintViolation";

    // OCPP-J 1.6 §4.2.3 spells it "Occurence" (one 'r'); 1.6 charge points and ocpp-rpc expect that spelling,
    // so it is emitted verbatim. OCPP 2.0.1 corrected it to "OccurrenceConstraintViolation".
    public const string OccurenceConstraintViolation = "OccurenceConstraintViolation";

    public const string TypeConstraintViolation = "TypeConstraintViolation";
    public const string GenericError = "GenericError";
}
