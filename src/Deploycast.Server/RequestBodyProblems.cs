using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Deploycast.Server;

/// <summary>
/// Says what is wrong with a request body that could not be read: the JSON path of the bad value and why, as the
/// <c>errors</c> member of the problem details, like every other validation error of the API.
/// </summary>
internal static class RequestBodyProblems
{
    public static void Describe(ProblemDetailsContext context)
    {
        var exception = context.HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (exception is not BadHttpRequestException bad)
        {
            return;
        }

        context.ProblemDetails.Title = "The request is not valid";
        var json = bad.InnerException as JsonException ?? bad.InnerException?.InnerException as JsonException;
        if (json is not null)
        {
            var path = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : json.Path.TrimStart('$', '.');
            var reason = json.InnerException?.Message
                ?? (json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
                    ? "the value is not of the expected type (a number, a string, true or false, a list or an object as documented)"
                    : json.Message);
            context.ProblemDetails.Detail = $"The JSON body could not be read at '{path}'.";
            context.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [path] = [Clean(reason)] };
        }
        else
        {
            context.ProblemDetails.Detail = bad.Message;
        }
    }

    /// <summary>The serializer's messages name .NET types; keep the part a caller can act on.</summary>
    private static string Clean(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
