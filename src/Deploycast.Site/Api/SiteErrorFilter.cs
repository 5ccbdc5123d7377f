using Deploycast.Site.Management;
using Microsoft.AspNetCore.Http;

namespace Deploycast.Site.Api;

/// <summary>Turns the site's refusals into problem details: 400 naming each field, 403, 404, 409.</summary>
internal static class SiteErrorFilter
{
    public static async ValueTask<object?> Invoke(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (SiteValidationException e)
        {
            return Results.ValidationProblem(e.Errors.ToDictionary(p => p.Key, p => p.Value), title: "The request is not valid");
        }
        catch (SiteNotFoundException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: e.Message);
        }
        catch (SiteConflictException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: e.Message,
                extensions: e.Field is null ? null : new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [e.Field] = [e.Message] } });
        }
        catch (SiteForbiddenException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: e.Message);
        }
    }
}
