using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using Deploycast.Client;
using Deploycast.Content.Library;
using Deploycast.DistributionPoint.Hosting;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Deploycast.DistributionPoint.Api;

/// <summary>The distribution point's HTTP API under <c>/api/v1/dp</c> (see docs/distribution-point.md).</summary>
public static class DistributionPointEndpoints
{
    private const int MaxIdLength = 64;

    public static IEndpointRouteBuilder MapDistributionPoint(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var dp = endpoints.MapGroup("/api/v1/dp");

        // Anyone: how to trust this DP, session initiation, unicast content.
        dp.MapGet("/", Info);
        dp.MapPost("/sessions", RequestSession);
        dp.MapGet("/content/{packageId}/{version:int}", Content);
        dp.MapGet("/content/{packageId}/{version:int}/manifest", Manifest);

        // Administrators.
        var admin = dp.MapGroup("/").AddEndpointFilter(Authorization.RequireAdmin);
        admin.MapGet("/multicast", (DistributionPointRole role, HttpContext context) =>
        {
            var (settings, etag) = role.SettingsWithETag;
            context.Response.Headers.ETag = etag;
            return Results.Ok(settings);
        });
        admin.MapPut("/multicast", UpdateSettings);
        admin.MapGet("/packages", (DistributionPointRole role) => Results.Ok(role.ListPackages()));
        admin.MapPost("/packages", AddPackage);
        admin.MapPatch("/packages/{packageId}/{version:int}", SetPackageOptions);
        admin.MapPost("/content/validate", ValidateContent);
        admin.MapGet("/sessions", (DistributionPointRole role) => Results.Ok(role.Scheduler.GetSessions()));
        admin.MapGet("/sessions/events", SessionEvents);
        admin.MapPost("/sessions/{sessionKey}/start", (string sessionKey, DistributionPointRole role) => ActionResult(role.Scheduler.StartNow(sessionKey)));
        admin.MapPost("/sessions/{sessionKey}/clients/{clientId}/disconnect", (string sessionKey, string clientId, DistributionPointRole role) =>
            ActionResult(role.Scheduler.Disconnect(sessionKey, clientId)));
        admin.MapGet("/status-messages", (DistributionPointRole role, int? limit) => Results.Ok(role.RecentStatus(limit ?? 100)));
        return endpoints;
    }

    private static IResult Info(DistributionPointRole role, TlsIdentity tls) => Results.Ok(new DistributionPointInfo(
        tls.Fingerprint,
        role.PublishedKeyFingerprint,
        Convert.ToBase64String(role.PublishedKeySpki),
        role.Settings.Enabled));

    private static async Task<IResult> RequestSession(SessionRequestBody? body, DistributionPointRole role, IClientAuthorizer clients, HttpContext context)
    {
        var errors = new Dictionary<string, string[]>();
        if (body is null)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body with clientId, packageId and version is required."] });
        }

        CheckId(errors, "clientId", body.ClientId);
        CheckId(errors, "packageId", body.PackageId);
        if (body.Version is null or < 1)
        {
            errors["version"] = ["version must be a package version of 1 or more."];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors);
        }

        var package = role.GetPackage(body.PackageId!, body.Version!.Value);
        if (package is null)
        {
            return PackageNotFound(body.PackageId!, body.Version.Value);
        }

        if (package.EncryptMulticast && package.AllowMulticast && role.Settings.Enabled
            && !await clients.MayReceiveAsync(Authorization.BearerToken(context), package, context.RequestAborted).ConfigureAwait(false))
        {
            // The session key travels only to an authorized caller; nothing about the session is handed out without it.
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Client token required",
                detail: $"Package {package.PackageId} is encrypted for multicast; its session key is given only to a client that presents the distribution point's client token or the credential of a device it is deployed to.");
        }

        var decision = role.RequestSession(body.ClientId!, package, out var item);
        SessionParameters? session = null;
        if (decision.Kind == SessionDecisionKind.Join)
        {
            session = new SessionParameters(
                decision.SessionId!.Value,
                decision.Group!.Address.ToString(),
                decision.Group.Port,
                decision.Interface!.ToString(),
                decision.ReceiverId!.Value,
                decision.Tier,
                decision.Key is { } key ? Convert.ToBase64String(key) : null,
                item is null ? string.Empty : Convert.ToHexStringLower(SHA256.HashData(item.ManifestBytes)),
                package.ContentId,
                package.Size);
        }

        if (decision.RetryAfter is { } retry)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Results.Ok(new SessionResponse(
            SessionResponses.Name(decision.Kind),
            decision.Reason,
            decision.RetryAfter is { } r ? (int)Math.Ceiling(r.TotalSeconds) : null,
            decision.UnicastAllowed,
            package.MulticastOnly ? null : $"/api/v1/dp/content/{Uri.EscapeDataString(package.PackageId)}/{package.Version}",
            $"/api/v1/dp/content/{Uri.EscapeDataString(package.PackageId)}/{package.Version}/manifest",
            session));
    }

    private static async Task<IResult> Content(string packageId, int version, DistributionPointRole role, IClientAuthorizer clients, HttpContext context)
    {
        var package = role.GetPackage(packageId, version);
        if (package is null)
        {
            return PackageNotFound(packageId, version);
        }

        var token = Authorization.BearerToken(context);
        var peer = (package.MulticastOnly || package.EncryptMulticast) && await clients.IsDistributionPointAsync(token, context.RequestAborted).ConfigureAwait(false);
        if (package.MulticastOnly && !peer)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Transfer only via multicast",
                detail: $"Package {package.PackageId} is set to 'Transfer this package only via multicast'; it cannot be downloaded by unicast. Ask for a session at /api/v1/dp/sessions.");
        }

        if (package.EncryptMulticast && !peer && !await clients.MayReceiveAsync(token, package, context.RequestAborted).ConfigureAwait(false))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Client token required",
                detail: $"Package {package.PackageId} is encrypted; its content is given only to a client that presents the distribution point's client token or the credential of a device it is deployed to.");
        }

        Stream stream;
        try
        {
            stream = role.Library.OpenRead(package.ContentId);
        }
        catch (ContentUnavailableException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Content not servable", detail: e.Message);
        }

        return Results.File(stream, "application/octet-stream", fileDownloadName: null,
            lastModified: package.Added, entityTag: new EntityTagHeaderValue($"\"{package.ContentId}\""), enableRangeProcessing: true);
    }

    private static IResult Manifest(string packageId, int version, DistributionPointRole role, HttpContext context)
    {
        var package = role.GetPackage(packageId, version);
        var item = package is null ? null : role.Library.Get(package.ContentId);
        if (package is null || item is null)
        {
            return PackageNotFound(packageId, version);
        }

        context.Response.Headers["X-Deploycast-Manifest-Signature"] = Convert.ToBase64String(item.Signature);
        context.Response.Headers["X-Deploycast-Site-Key"] = role.PublishedKeyFingerprint;
        return Results.Bytes(item.ManifestBytes, "application/vnd.deploycast.manifest", entityTag: new EntityTagHeaderValue($"\"{item.ContentId}-manifest\""));
    }

    private static IResult UpdateSettings(MulticastSettings? settings, DistributionPointRole role, HttpContext context)
    {
        if (settings is null)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body with the multicast settings is required."] });
        }

        // If-Match is optional (a client that sends none replaces whatever is there); one that sends the tag it read
        // gets 412 when someone changed the settings since.
        var ifMatch = context.Request.Headers.IfMatch.Count > 0 ? context.Request.Headers.IfMatch.ToString() : null;
        var errors = role.UpdateSettings(settings, ifMatch, out var stale);
        if (stale)
        {
            var (_, current) = role.SettingsWithETag;
            context.Response.Headers.ETag = current;
            return Results.Problem(statusCode: StatusCodes.Status412PreconditionFailed, title: "The multicast settings changed",
                detail: $"If-Match {ifMatch} is not the settings' current entity tag {current}: someone changed them since you read them. Read them again (GET /api/v1/dp/multicast), then send your change with the new tag.",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["If-Match"] = [$"{ifMatch} is stale; the current tag is {current}."] } });
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors.GroupBy(e => e.Setting).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
                title: "Invalid multicast settings", detail: string.Join(" ", errors.Select(e => e.Message)));
        }

        var (applied, etag) = role.SettingsWithETag;
        context.Response.Headers.ETag = etag;
        return Results.Ok(applied);
    }

    private static async Task<IResult> AddPackage(AddPackageBody? body, DistributionPointRole role, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (body is null)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body with packageId, version and path is required."] });
        }

        CheckId(errors, "packageId", body.PackageId);
        if (body.Version is null or < 1)
        {
            errors["version"] = ["version must be 1 or more."];
        }

        if (string.IsNullOrWhiteSpace(body.Path))
        {
            errors["path"] = ["path must name an image file on the distribution point's host."];
        }
        else if (!File.Exists(body.Path))
        {
            errors["path"] = [$"'{body.Path}' does not exist or is not a file."];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors);
        }

        var package = await role.AddPackageAsync(body.PackageId!, body.Version!.Value, body.Name, body.Path!,
            body.AllowMulticast ?? true, body.EncryptMulticast ?? false, body.MulticastOnly ?? false, null, cancellationToken).ConfigureAwait(false);
        return Results.Created($"/api/v1/dp/packages/{Uri.EscapeDataString(package.PackageId)}/{package.Version}", package);
    }

    private static IResult SetPackageOptions(string packageId, int version, PackageOptionsBody? body, DistributionPointRole role)
    {
        var package = role.SetPackageOptions(packageId, version, body?.AllowMulticast, body?.EncryptMulticast, body?.MulticastOnly);
        return package is null ? PackageNotFound(packageId, version) : Results.Ok(package);
    }

    private static async Task<IResult> ValidateContent(DistributionPointRole role, CancellationToken cancellationToken) =>
        Results.Ok(await role.ValidateContentAsync(null, cancellationToken).ConfigureAwait(false));

    private static IResult SessionEvents(DistributionPointRole role, CancellationToken cancellationToken) =>
        TypedResults.ServerSentEvents(StreamSessions(role, cancellationToken));

    /// <summary>
    /// The session list at once, again after a session or client changes state, and every second while a session
    /// waits or runs (progress moves without state changes); status messages as they are recorded. Changes are
    /// coalesced: at most one list per <see cref="SessionsInterval"/>, however many clients join or change at once, so
    /// a session of hundreds of clients costs one list per interval, not one per client event.
    /// </summary>
    private static async IAsyncEnumerable<SseItem<object>> StreamSessions(DistributionPointRole role, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var changes = Channel.CreateBounded<object>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnSession(SessionSnapshot _) => changes.Writer.TryWrite(Changed);
        void OnStatus(DistributionPointStatus status) => changes.Writer.TryWrite(status);
        role.Scheduler.SessionChanged += OnSession;
        role.StatusRecorded += OnStatus;
        try
        {
            var sessions = role.Scheduler.GetSessions();
            var sent = Stopwatch.GetTimestamp();
            yield return new SseItem<object>(sessions, "sessions");
            while (!cancellationToken.IsCancellationRequested)
            {
                var next = await NextChangeAsync(changes.Reader, cancellationToken).ConfigureAwait(false);
                if (next is DistributionPointStatus status)
                {
                    yield return new SseItem<object>(status, "status");
                    continue;
                }

                if (next is null && !sessions.Any(s => s.State is MulticastSessionState.Waiting or MulticastSessionState.Running))
                {
                    // A quiet second with nothing under way: nothing moves; only keep proxies from closing the stream.
                    if (Stopwatch.GetElapsedTime(sent) >= KeepAlive)
                    {
                        sent = Stopwatch.GetTimestamp();
                        yield return new SseItem<object>(Changed, "keep-alive");
                    }

                    continue;
                }

                // Let the burst this change belongs to finish, then send one list for all of it.
                var wait = SessionsInterval - Stopwatch.GetElapsedTime(sent);
                if (wait > TimeSpan.Zero && !await DelayAsync(wait, cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }

                while (changes.Reader.TryRead(out var queued))
                {
                    if (queued is DistributionPointStatus queuedStatus)
                    {
                        yield return new SseItem<object>(queuedStatus, "status");
                    }
                }

                sessions = role.Scheduler.GetSessions();
                sent = Stopwatch.GetTimestamp();
                yield return new SseItem<object>(sessions, "sessions");
            }
        }
        finally
        {
            role.Scheduler.SessionChanged -= OnSession;
            role.StatusRecorded -= OnStatus;
        }
    }

    /// <summary>The next change or status message; <see langword="null"/> after a quiet second or when the client went away.</summary>
    private static async Task<object?> NextChangeAsync(ChannelReader<object> changes, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            return await changes.ReadAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A quiet stream sends a <c>keep-alive</c> event this often, so proxies do not close it: 15 s.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>The shortest time between two session lists on one event stream: 250 ms.</summary>
    private static readonly TimeSpan SessionsInterval = TimeSpan.FromMilliseconds(250);

    private static readonly object Changed = new();

    private static IResult ActionResult(SessionActionResult result) => result.Outcome switch
    {
        SessionActionOutcome.Done => Results.Ok(result),
        SessionActionOutcome.NotFound => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such session or client", detail: result.Message),
        _ => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not possible now", detail: result.Message),
    };

    private static IResult PackageNotFound(string packageId, int version) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Package not on this distribution point",
            detail: $"Package {packageId} version {version} is not on this distribution point.");

    private static void CheckId(Dictionary<string, string[]> errors, string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[name] = [$"{name} is required."];
        }
        else if (value.Length > MaxIdLength || value.Any(c => char.IsControl(c) || c is '/' or '\\'))
        {
            errors[name] = [$"{name} must be at most {MaxIdLength} characters, without control characters or slashes."];
        }
    }
}

/// <summary>The HTTPS identity clients pin.</summary>
public sealed record TlsIdentity(string Fingerprint);
