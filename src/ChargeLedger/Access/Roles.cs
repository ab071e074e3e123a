namespace ChargeLedger.Access;

/// <summary>API roles (CONTRACT.md); admin may do everything, so every role list includes it.</summary>
public static class Roles
{
    public const string Operator = "operator";
    public const string Finance = "finance";
    public const string Developer = "developer";
    public const string Admin = "admin";

    public const string OperatorOrAdmin = Operator + "," + Admin;
    public const string FinanceOrAdmin = Finance + "," + Admin;
    public const string OperatorFinanceOrAdmin = Operator + "," + Finance + "," + Admin;
    public const string DeveloperOrAdmin = Developer + "," + Admin;

    public static readonly string[] All = [Operator, Finance, Developer, Admin];
}
