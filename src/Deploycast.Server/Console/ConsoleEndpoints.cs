using Deploycast.DistributionPoint.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Deploycast.Server.Console;

/// <summary>The web console's own API under <c>/api/v1/console</c>: sign-in and sign-out (see docs/console.md).</summary>
internal static class ConsoleEndpoints
{
    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder endpoints)
    {
        var console = endpoints.MapGroup("/api/v1/console");
        console.MapPost("/sign-in", SignIn);
        console.MapPost("/sign-out", SignOut);
        console.MapGet("/session", (HttpContext context) => context.User.Identity?.AuthenticationType == "DeploycastConsole"
            ? Results.Ok(new ConsoleSessionInfo(true))
            : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in", detail: "Sign in with the administrator token."));
        return endpoints;
    }

    private static IResult SignIn(SignInBody? body, AccessTokens tokens, ConsoleSessions sessions, SignInThrottle throttle, HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (throttle.RetryAfter(address) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many sign-in attempts",
                detail: $"{SignInThrottle.MaxFailures} wrong tokens were entered from this address within {SignInThrottle.Window.TotalMinutes:0} minute. Wait {seconds} seconds, then sign in again.");
        }

        if (string.IsNullOrWhiteSpace(body?.Token))
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["token"] = ["Enter the administrator token."] },
                title: "Administrator token required");
        }

        if (!tokens.IsAdmin(body.Token.Trim()))
        {
            throttle.Failed(address);
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong token",
                detail: "That is not this server's administrator token. It was printed once when the server first started.");
        }

        throttle.Succeeded(address);
        context.Response.Cookies.Append(ConsoleAuthentication.CookieName, sessions.Create(), new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
        });
        return Results.Ok(new ConsoleSessionInfo(true));
    }

    private static IResult SignOut(ConsoleSessions sessions, HttpContext context)
    {
        if (context.Request.Cookies.TryGetValue(ConsoleAuthentication.CookieName, out var cookie))
        {
            sessions.Remove(cookie);
        }

        context.Response.Cookies.Delete(ConsoleAuthentication.CookieName, new CookieOptions { Secure = true, SameSite = SameSiteMode.Strict, Path = "/" });
        return Results.NoContent();
    }
}

/// <summary>Body of <c>POST /api/v1/console/sign-in</c>.</summary>
internal sealed record SignInBody(string? Token);

/// <summary>Answer of the console's session endpoints.</summary>
internal sealed record ConsoleSessionInfo(bool SignedIn);
