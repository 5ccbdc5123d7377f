using Deploycast.Site.Management;
using Deploycast.Site.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Deploycast.Site.Api;

/// <summary>Checks the administrator token; <c>deploycast server</c> backs it with the one token the whole server uses.</summary>
public interface IAdminAuthenticator
{
    bool IsAdmin(string? token);
}

/// <summary>The role a host gives an administrator it has authenticated another way than by bearer token.</summary>
public static class SiteAdministratorRole
{
    /// <summary>
    /// The role name: a request whose <see cref="HttpContext.User"/> is in this role passes the administrator check
    /// without a bearer token (<c>deploycast server</c> gives it to requests with a valid web console session cookie).
    /// It is the distribution point API's role name too, so one sign-in serves both APIs.
    /// </summary>
    public const string Name = "Deploycast.Administrator";
}

/// <summary>Bearer credentials of the site API: the administrator's token, and each device's own credential.</summary>
internal static class SiteAuthorization
{
    private const string DeviceItem = "deploycast.device";
    private const string DistributionPointItem = "deploycast.distribution-point";

    public static string? BearerToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    public static async ValueTask<object?> RequireAdmin(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var token = BearerToken(context.HttpContext);
        var admin = context.HttpContext.RequestServices.GetRequiredService<IAdminAuthenticator>();
        if (!context.HttpContext.User.IsInRole(SiteAdministratorRole.Name) && !admin.IsAdmin(token))
        {
            return Unauthorized(context.HttpContext, "Administrator token required", token is null
                ? "This request needs the administrator token in an 'Authorization: Bearer <token>' header."
                : "The token given is not the administrator token.");
        }

        return await next(context).ConfigureAwait(false);
    }

    /// <summary>Accepts a device credential (the device is then in <see cref="Device(HttpContext)"/>).</summary>
    public static async ValueTask<object?> RequireDevice(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var token = BearerToken(context.HttpContext);
        var manager = context.HttpContext.RequestServices.GetRequiredService<SiteManager>();
        var device = await manager.AuthenticateDeviceAsync(token, context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (device is null)
        {
            return Unauthorized(context.HttpContext, "Device credential required", token is null
                ? "This request needs the device's credential (from POST /api/v1/agent/register) in an 'Authorization: Bearer <credential>' header."
                : "The credential given belongs to no device; register again.");
        }

        if (device.Approval == DeviceApproval.Blocked)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Device blocked", detail: $"Device {device.Id} is blocked by an administrator.");
        }

        context.HttpContext.Items[DeviceItem] = device;
        return await next(context).ConfigureAwait(false);
    }

    /// <summary>Accepts a distribution point registration token that has not expired.</summary>
    public static async ValueTask<object?> RequireDistributionPointToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var token = BearerToken(context.HttpContext);
        var manager = context.HttpContext.RequestServices.GetRequiredService<SiteManager>();
        if (!await manager.IsDistributionPointTokenValidAsync(token, context.HttpContext.RequestAborted).ConfigureAwait(false))
        {
            return Unauthorized(context.HttpContext, "Registration token required", token is null
                ? "This request needs a registration token (deploycast dp token) in an 'Authorization: Bearer <token>' header."
                : "The registration token is unknown or has expired; ask the administrator for a new one (deploycast dp token).");
        }

        return await next(context).ConfigureAwait(false);
    }

    /// <summary>Accepts a registered DP's credential (the DP is then in <see cref="DistributionPoint(HttpContext)"/>).</summary>
    public static async ValueTask<object?> RequireDistributionPoint(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var token = BearerToken(context.HttpContext);
        var manager = context.HttpContext.RequestServices.GetRequiredService<SiteManager>();
        var dp = await manager.AuthenticateDistributionPointAsync(token, context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (dp is null)
        {
            return Unauthorized(context.HttpContext, "Distribution point credential required", token is null
                ? "This request needs the credential the distribution point got at registration in an 'Authorization: Bearer <credential>' header."
                : "The credential belongs to no registered distribution point (it was removed, or registered again since); register it again.");
        }

        context.HttpContext.Items[DistributionPointItem] = dp;
        return await next(context).ConfigureAwait(false);
    }

    public static DistributionPointRecord DistributionPoint(HttpContext context) => (DistributionPointRecord)context.Items[DistributionPointItem]!;

    public static Device Device(HttpContext context) => (Device)context.Items[DeviceItem]!;

    private static IResult Unauthorized(HttpContext context, string title, string detail)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: title, detail: detail);
    }
}
