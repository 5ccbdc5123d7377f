using System.Security.Claims;
using Deploycast.DistributionPoint.Api;
using Deploycast.Site.Api;
using Microsoft.AspNetCore.Http;

namespace Deploycast.Server.Console;

/// <summary>
/// Turns a valid console session cookie into an administrator principal, which both APIs' administrator checks
/// accept as they accept the bearer token.
/// </summary>
/// <remarks>
/// Cross-site request forgery: the cookie is <c>SameSite=Strict</c>, and in addition a cookie-authenticated request
/// other than GET/HEAD must carry the <see cref="CsrfHeader"/> header. SameSite alone is not enough: another web
/// application on the same host name but another port is the "same site", so its pages would send the cookie. A page
/// of another origin cannot add a custom header without a CORS preflight, which this server never approves; and it
/// needs no Origin parsing that proxies could disturb. GET requests change nothing, and the event streams (which
/// <c>EventSource</c> opens without custom headers) are GETs.
/// </remarks>
internal sealed class ConsoleAuthentication(RequestDelegate next, ConsoleSessions sessions)
{
    /// <summary>The session cookie. The <c>__Host-</c> prefix makes the browser insist on Secure, Path=/ and no Domain.</summary>
    public const string CookieName = "__Host-deploycast-console";

    /// <summary>The header every cookie-authenticated change must carry (any value).</summary>
    public const string CsrfHeader = "X-Deploycast-Console";

    private static readonly ClaimsPrincipal Administrator = new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, "console administrator"), new Claim(ClaimTypes.Role, AdministratorRole.Name), new Claim(ClaimTypes.Role, SiteAdministratorRole.Name)],
        authenticationType: "DeploycastConsole", nameType: ClaimTypes.Name, roleType: ClaimTypes.Role));

    public async Task InvokeAsync(HttpContext context)
    {
        // A bearer token, when given, decides alone: the cookie never widens a request that names its own credential.
        if (context.Request.Headers.Authorization.Count == 0
            && context.Request.Cookies.TryGetValue(CookieName, out var cookie)
            && sessions.Validate(cookie))
        {
            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
                && !context.Request.Headers.ContainsKey(CsrfHeader))
            {
                await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Console header required",
                    detail: $"A change made with the console's session cookie must carry the '{CsrfHeader}' header (protection against cross-site request forgery).")
                    .ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            context.User = Administrator;
        }

        await next(context).ConfigureAwait(false);
    }
}
