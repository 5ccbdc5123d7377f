using Deploycast.DistributionPoint.Hosting;
using Microsoft.AspNetCore.Http;

namespace Deploycast.DistributionPoint.Api;

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
        if (tokens is null || !tokens.IsAdmin(token))
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
