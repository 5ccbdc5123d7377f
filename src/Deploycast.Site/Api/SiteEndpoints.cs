using Deploycast.Site.Management;
using Deploycast.Site.Model;
using Deploycast.Site.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Deploycast.Site.Api;

/// <summary>The site server's REST API under <c>/api/v1</c> (see docs/administration.md).</summary>
public static class SiteEndpoints
{
    private const int MaxCsvBytes = 16 << 20;

    public static IEndpointRouteBuilder MapSite(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.MapGroup("/api/v1").AddEndpointFilter(SiteErrorFilter.Invoke);

        // Agents.
        api.MapPost("/agent/register", Register);

        // Distribution points that run as their own process, by registration token.
        api.MapPost("/distribution-points/register", (DistributionPointRegistration? body, SiteManager site, CancellationToken ct) =>
            site.RegisterDistributionPointAsync(body, ct)).AddEndpointFilter(SiteAuthorization.RequireDistributionPointToken);
        api.MapPost("/distribution-points/poll", (DistributionPointReport? body, SiteManager site, HttpContext context, CancellationToken ct) =>
            site.ReportDistributionPointAsync(SiteAuthorization.DistributionPoint(context), body, ct)).AddEndpointFilter(SiteAuthorization.RequireDistributionPoint);
        api.MapPost("/distribution-points/check-client", (ClientCheck? body, SiteManager site, HttpContext context, CancellationToken ct) =>
            site.CheckClientForDistributionPointAsync(SiteAuthorization.DistributionPoint(context), body, ct)).AddEndpointFilter(SiteAuthorization.RequireDistributionPoint);
        var agent = api.MapGroup("/agent").AddEndpointFilter(SiteAuthorization.RequireDevice);
        agent.MapGet("/policy", (SiteManager site, HttpContext context, CancellationToken ct) =>
            site.GetPolicyAsync(SiteAuthorization.Device(context), ct));
        agent.MapPost("/status", async (AgentStatus? body, SiteManager site, HttpContext context, CancellationToken ct) =>
        {
            var stored = await site.ReportAgentStatusAsync(SiteAuthorization.Device(context), body!, ct).ConfigureAwait(false);
            return Results.Accepted(value: new { stored.Id });
        });

        // Administrators.
        var admin = api.MapGroup("/").AddEndpointFilter(SiteAuthorization.RequireAdmin);
        admin.MapGet("/packages", (SiteManager site, int? skip, int? take, CancellationToken ct) => site.ListPackagesAsync(SiteManager.PageOf(skip, take), ct));
        admin.MapPost("/packages", async (PackageImport? body, SiteManager site, CancellationToken ct) =>
        {
            var package = await site.ImportPackageAsync(body ?? new PackageImport(null, null), ct).ConfigureAwait(false);
            return Results.Created($"/api/v1/packages/{package.Id}", package);
        });
        admin.MapGet("/packages/{id}", (string id, SiteManager site, CancellationToken ct) => site.GetPackageDetailsAsync(id, ct));
        admin.MapPatch("/packages/{id}", (string id, PackageChange? body, SiteManager site, CancellationToken ct) =>
            site.SetPackageAsync(id, body ?? new PackageChange(), ct));
        admin.MapPost("/packages/{id}/versions", async (string id, ContentUpdate? body, SiteManager site, CancellationToken ct) =>
        {
            var version = await site.UpdatePackageContentAsync(id, body?.SourcePath, ct).ConfigureAwait(false);
            return Results.Created($"/api/v1/packages/{version.PackageId}", version);
        });

        admin.MapPost("/packages/{id}/distribution-points", async (string id, DistributionRequest? body, SiteManager site, CancellationToken ct) =>
            Results.Json(await site.DistributeContentAsync(id, body?.DistributionPointIds, ct).ConfigureAwait(false), statusCode: StatusCodes.Status202Accepted));
        admin.MapDelete("/packages/{id}/distribution-points/{dpId}", async (string id, string dpId, SiteManager site, CancellationToken ct) =>
        {
            await site.RemoveContentAsync(id, dpId, ct).ConfigureAwait(false);
            return Results.NoContent();
        });

        admin.MapGet("/distribution-points", (ISiteStore store, CancellationToken ct) => store.ListDistributionPointsAsync(ct));
        admin.MapDelete("/distribution-points/{id}", async (string id, SiteManager site, CancellationToken ct) =>
        {
            await site.RemoveDistributionPointAsync(id, ct).ConfigureAwait(false);
            return Results.NoContent();
        });
        admin.MapPost("/distribution-points/registration-tokens", async (DistributionPointTokenRequest? body, SiteManager site, CancellationToken ct) =>
            Results.Json(await site.CreateDistributionPointTokenAsync(body?.ValidHours, ct).ConfigureAwait(false), statusCode: StatusCodes.Status201Created));
        admin.MapGet("/distribution-points/registration-tokens", (SiteManager site, CancellationToken ct) => site.ListDistributionPointTokensAsync(ct));
        admin.MapDelete("/distribution-points/registration-tokens/{id}", async (string id, SiteManager site, CancellationToken ct) =>
        {
            await site.RevokeDistributionPointTokenAsync(id, ct).ConfigureAwait(false);
            return Results.NoContent();
        });

        admin.MapGet("/devices", (SiteManager site, int? skip, int? take, CancellationToken ct) => site.ListDevicesAsync(SiteManager.PageOf(skip, take), ct));
        admin.MapPost("/devices", (DeviceImport? body, SiteManager site, CancellationToken ct) => site.ImportDevicesAsync(body?.Devices, ct));
        admin.MapPost("/devices/import", ImportCsv);
        admin.MapGet("/devices/{id:long}", (long id, SiteManager site, CancellationToken ct) => site.GetDeviceAsync(id, ct));
        admin.MapGet("/devices/{id:long}/policy", async (long id, SiteManager site, CancellationToken ct) =>
            await site.GetPolicyAsync(await site.GetDeviceAsync(id, ct).ConfigureAwait(false), ct).ConfigureAwait(false));
        admin.MapPost("/devices/{id:long}/approve", (long id, SiteManager site, CancellationToken ct) => site.SetApprovalAsync(id, DeviceApproval.Approved, ct));
        admin.MapPost("/devices/{id:long}/block", (long id, SiteManager site, CancellationToken ct) => site.SetApprovalAsync(id, DeviceApproval.Blocked, ct));
        admin.MapDelete("/devices/{id:long}", async (long id, SiteManager site, CancellationToken ct) =>
        {
            await site.DeleteDeviceAsync(id, ct).ConfigureAwait(false);
            return Results.NoContent();
        });

        admin.MapGet("/collections", (SiteManager site, int? skip, int? take, CancellationToken ct) => site.ListCollectionsAsync(SiteManager.PageOf(skip, take), ct));
        admin.MapPost("/collections", async (CollectionDefinition? body, SiteManager site, CancellationToken ct) =>
        {
            var collection = await site.CreateCollectionAsync(body ?? new CollectionDefinition(null), ct).ConfigureAwait(false);
            return Results.Created($"/api/v1/collections/{collection.Id}", collection);
        });
        admin.MapGet("/collections/{id}", (string id, SiteManager site, CancellationToken ct) => site.GetCollectionAsync(id, ct));
        admin.MapPatch("/collections/{id}", (string id, CollectionDefinition? body, SiteManager site, CancellationToken ct) =>
            site.UpdateCollectionAsync(id, body ?? new CollectionDefinition(null), ct));
        admin.MapDelete("/collections/{id}", async (string id, SiteManager site, CancellationToken ct) =>
        {
            await site.DeleteCollectionAsync(id, ct).ConfigureAwait(false);
            return Results.NoContent();
        });
        admin.MapGet("/collections/{id}/members", (string id, SiteManager site, CancellationToken ct) => site.ListCollectionDevicesAsync(id, ct));
        admin.MapPost("/collections/{id}/members", async (string id, MemberAddition? body, SiteManager site, CancellationToken ct) =>
        {
            await site.AddCollectionMembersAsync(id, body?.DeviceIds, ct).ConfigureAwait(false);
            return Results.NoContent();
        });
        admin.MapDelete("/collections/{id}/members/{deviceId:long}", async (string id, long deviceId, SiteManager site, CancellationToken ct) =>
        {
            await site.RemoveCollectionMemberAsync(id, deviceId, ct).ConfigureAwait(false);
            return Results.NoContent();
        });

        admin.MapGet("/task-sequences/step-types", () => Enum.GetValues<StepType>().ToDictionary(t => t.ToString(), StepCatalog.Parameters));
        admin.MapGet("/task-sequences", (SiteManager site, int? skip, int? take, CancellationToken ct) => site.ListTaskSequencesAsync(SiteManager.PageOf(skip, take), ct));
        admin.MapPost("/task-sequences", async (TaskSequenceDefinition? body, SiteManager site, CancellationToken ct) =>
        {
            var sequence = await site.CreateTaskSequenceAsync(body ?? new TaskSequenceDefinition(null), ct).ConfigureAwait(false);
            return Results.Created($"/api/v1/task-sequences/{sequence.Id}", sequence);
        });
        admin.MapGet("/task-sequences/{id}", (string id, SiteManager site, CancellationToken ct) => site.GetTaskSequenceAsync(id, ct));
        admin.MapPatch("/task-sequences/{id}", (string id, TaskSequenceDefinition? body, SiteManager site, CancellationToken ct) =>
            site.UpdateTaskSequenceAsync(id, body ?? new TaskSequenceDefinition(null), ct));

        admin.MapGet("/deployments", (SiteManager site, int? skip, int? take, CancellationToken ct) => site.ListDeploymentsAsync(SiteManager.PageOf(skip, take), ct));
        admin.MapPost("/deployments", async (DeploymentDefinition? body, SiteManager site, CancellationToken ct) =>
        {
            var deployment = await site.DeployAsync(body ?? new DeploymentDefinition(null, null), ct).ConfigureAwait(false);
            return Results.Created($"/api/v1/deployments/{deployment.Id}", deployment);
        });
        admin.MapGet("/deployments/{id}", (string id, SiteManager site, CancellationToken ct) => site.GetDeploymentAsync(id, ct));
        admin.MapDelete("/deployments/{id}", async (string id, SiteManager site, CancellationToken ct) =>
        {
            await site.DeleteDeploymentAsync(id, ct).ConfigureAwait(false);
            return Results.NoContent();
        });
        admin.MapGet("/deployments/{id}/summary", (string id, SiteManager site, CancellationToken ct) => site.GetDeploymentSummaryAsync(id, ct));

        admin.MapGet("/status-messages", (SiteManager site, long? deviceId, string? deploymentId, string? distributionPointId, int? skip, int? take, CancellationToken ct) =>
            site.ListStatusMessagesAsync(new StatusMessageFilter(deviceId, deploymentId, distributionPointId), SiteManager.PageOf(skip, take), ct));
        admin.MapGet("/status-messages/events", StatusMessageEvents.Stream);
        return endpoints;
    }

    private static async Task<IResult> Register(DeviceEntry? body, SiteManager site, HttpContext context, CancellationToken ct)
    {
        var registration = await site.RegisterDeviceAsync(body, context.Connection.RemoteIpAddress, ct, SiteAuthorization.BearerToken(context)).ConfigureAwait(false);
        return Results.Ok(new RegistrationResponse(registration.Device.Id, registration.Device.Name, registration.Device.Approval, registration.Credential));
    }

    private static async Task<IResult> ImportCsv(HttpRequest request, SiteManager site, CancellationToken ct)
    {
        if (request.ContentLength is > MaxCsvBytes)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too large", detail: $"A device CSV may be at most {MaxCsvBytes >> 20} MiB.");
        }

        using var reader = new StreamReader(request.Body);
        var csv = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        return Results.Ok(await site.ImportDevicesAsync(SiteManager.ParseDeviceCsv(csv), ct).ConfigureAwait(false));
    }
}

/// <summary>Body of <c>POST /api/v1/packages/{id}/versions</c>.</summary>
public sealed record ContentUpdate(string? SourcePath);

/// <summary>Body of <c>POST /api/v1/devices</c>.</summary>
public sealed record DeviceImport(IReadOnlyList<DeviceEntry>? Devices);

/// <summary>Body of <c>POST /api/v1/collections/{id}/members</c>.</summary>
public sealed record MemberAddition(IReadOnlyList<long>? DeviceIds);
