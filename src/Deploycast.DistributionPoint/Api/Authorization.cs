using Deploycast.DistributionPoint.Hosting;
using Microsoft.AspNetCore.Http;

namespace Deploycast.DistributionPoint.Api;

/// <summary>The role a host gives an administrator it has authenticated another way than by bearer token.</summary>
public static class AdministratorRole
{
    /// <summary>
    /// The role name: a request whose <see cref="HttpContext.User"/> is in this role passes the administrator check
    /// without a bearer token. <c>deploycast server</c> gives it to requests with a valid web console session cookie;
    /// the site API checks the same name.
    /// </summary>
    public const string Name = "Deploycast.Administrator";
}

/// <summary>Bearer tokens: the administrator's for management, the client token for session keys.</summary>
internal static class Authorization
{
    public static string? BearerToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    /// <summary>An endpoint filter that answers 401 (no or wrong token) with problem details unless the caller is an administrator.</summary>
    public static async ValueTask<object?> RequireAdmin(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var tokens = context.HttpContext.RequestServices.GetService(typeof(AccessTokens)) as AccessTokens;
        var token = BearerToken(context.HttpContext);
        if (!context.HttpContext.User.IsInRole(AdministratorRole.Name) && (tokens is null || !tokens.IsAdmin(token)))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Administrator token required",
                detail: token is null
                    ? "This request needs the distribution point's administrator token in an 'Authorization: Bearer <token>' header."
                    : "The token given is not the distribution point's administrator token.");
        }

        return await next(context).ConfigureAwait(false);
    }
}

internal static class SessionResponses
{
    public static string Name(Sessions.SessionDecisionKind kind) => kind switch
    {
        Sessions.SessionDecisionKind.Join => "join",
        Sessions.SessionDecisionKind.Wait => "wait",
        Sessions.SessionDecisionKind.Busy => "busy",
        Sessions.SessionDecisionKind.Unicast => "unicast",
        _ => "refused",
    };
}
