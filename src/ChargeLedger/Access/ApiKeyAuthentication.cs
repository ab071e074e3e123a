using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChargeLedger.Access;

public sealed class ApiKeyEntry
{
    public string Key { get; set; } = "";
    public string[] Roles { get; set; } = [];
}

/// <summary>Keys from configuration: ChargeLedger:ApiKeys:{name}:Key and :Roles (CONTRACT.md).</summary>
public sealed class ApiKeyOptions : AuthenticationSchemeOptions
{
    public Dictionary<string, ApiKeyEntry> Keys { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// "Authorization: Bearer &lt;api key&gt;". Keys are compared as SHA-256 digests in constant time; no key configured
/// means nobody gets in (RELIABILITY A13: there is no open mode).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<ApiKeyOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ApiKeyOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        foreach (var (name, entry) in Options.Keys)
        {
            if (entry.Key.Length == 0 || !CryptographicOperations.FixedTimeEquals(presented, SHA256.HashData(Encoding.UTF8.GetBytes(entry.Key))))
            {
                continue;
            }

            var claims = new List<Claim> { new(ClaimTypes.Name, name) };
            claims.AddRange(entry.Roles.Select(r => new Claim(ClaimTypes.Role, r.Trim().ToLowerInvariant())));
            var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
        }

        Logger.LogWarning("API request with an unknown key from {RemoteAddress} to {Path}", Context.Connection.RemoteIpAddress, Request.Path);
        return Task.FromResult(AuthenticateResult.Fail("Unknown API key"));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
