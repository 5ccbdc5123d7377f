using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;

namespace Deploycast.Server.Console;

/// <summary>
/// Serves the web console (wwwroot, embedded in this assembly, so the server needs no files beside it) at <c>/</c>.
/// </summary>
internal static class ConsoleStaticFiles
{
    /// <summary>Only this server's own scripts and styles; no inline script, no framing.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    public static IApplicationBuilder UseConsoleFiles(this IApplicationBuilder app)
    {
        var files = new EmbeddedFileProvider(typeof(ConsoleStaticFiles).Assembly, "Deploycast.Server.wwwroot");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, DefaultFileNames = ["index.html"] });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;

                // Revalidate every time: a server upgrade must not leave an old script in a browser's cache.
                headers.CacheControl = "no-cache";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XFrameOptions = "DENY";
            },
        });
        return app;
    }
}
