using Deploycast.Site.Model;

namespace Deploycast.Site.Management;

public sealed partial class SiteManager
{
    /// <summary>Deploys a task sequence to a collection.</summary>
    public async Task<Deployment> DeployAsync(DeploymentDefinition request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new ValidationErrors();
        TaskSequence? sequence = null;
        Collection? collection = null;
        if (string.IsNullOrWhiteSpace(request.TaskSequenceId))
        {
            errors.Add("taskSequenceId", "taskSequenceId is required.");
        }
        else if ((sequence = await _store.GetTaskSequenceAsync(request.TaskSequenceId, cancellationToken).ConfigureAwait(false)) is null)
        {
            errors.Add("taskSequenceId", $"There is no task sequence '{request.TaskSequenceId}'.");
        }

        if (string.IsNullOrWhiteSpace(request.CollectionId))
        {
            errors.Add("collectionId", "collectionId is required.");
        }
        else if ((collection = await _store.GetCollectionAsync(request.CollectionId, cancellationToken).ConfigureAwait(false)) is null)
        {
            errors.Add("collectionId", $"There is no collection '{request.CollectionId}'.");
        }

        var purpose = request.Purpose ?? DeploymentPurpose.Available;
        var option = request.ContentOption ?? ContentOption.DownloadLocallyWhenNeeded;
        if (!Enum.IsDefined(purpose))
        {
            errors.Add("purpose", "purpose must be Available or Required.");
        }

        if (!Enum.IsDefined(option))
        {
            errors.Add("contentOption", $"contentOption must be one of {string.Join(", ", Enum.GetNames<ContentOption>())}.");
        }

        if (request.Deadline is { } deadline && purpose == DeploymentPurpose.Available)
        {
            errors.Add("deadline", "Only a required deployment has a deadline.");
        }

        if (request.Deadline is { } d && request.Available is { } a && d < a)
        {
            errors.Add("deadline", "The deadline is before the deployment becomes available.");
        }

        if (sequence is not null && Enum.IsDefined(option))
        {
            foreach (var packageId in PackageIdsOf(sequence.Steps))
            {
                if (await _store.GetPackageAsync(packageId, cancellationToken).ConfigureAwait(false) is not { } package)
                {
                    errors.Add("taskSequenceId", $"Task sequence {sequence.Id} uses package '{packageId}', which no longer exists.");
                }
                else if (package.MulticastOnly && option != ContentOption.DownloadLocallyWhenNeeded)
                {
                    errors.Add("contentOption",
                        $"Package {package.Id} is transferred only via multicast, which needs 'download content locally when needed' (DownloadLocallyWhenNeeded).");
                }
            }
        }

        errors.ThrowIfAny();
        var id = Identifiers.Deployment(await _store.NextNumberAsync(Identifiers.DeploymentCounter, cancellationToken).ConfigureAwait(false));
        var deployment = new Deployment(id, sequence!.Id, collection!.Id, purpose, request.Available, request.Deadline, option,
            request.AllowUnicastFallback ?? true, Now);
        await _store.AddDeploymentAsync(deployment, cancellationToken).ConfigureAwait(false);
        SiteLog.Deployed(_logger, id, sequence.Id, collection.Id, purpose);
        return deployment;
    }

    public async Task<Deployment> GetDeploymentAsync(string id, CancellationToken cancellationToken) =>
        await _store.GetDeploymentAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new SiteNotFoundException($"There is no deployment '{id}'.");

    public Task<PagedResult<Deployment>> ListDeploymentsAsync(Page page, CancellationToken cancellationToken) => _store.ListDeploymentsAsync(page, cancellationToken);

    public async Task DeleteDeploymentAsync(string id, CancellationToken cancellationToken)
    {
        if (!await _store.DeleteDeploymentAsync(id, cancellationToken).ConfigureAwait(false))
        {
            throw new SiteNotFoundException($"There is no deployment '{id}'.");
        }
    }

    /// <summary>
    /// A deployment's summary as ConfigMgr's Deployments view shows it: how many targeted devices succeeded, are in
    /// progress, failed, or have not reported (unknown), and each device's state.
    /// </summary>
    public async Task<DeploymentSummary> GetDeploymentSummaryAsync(string id, CancellationToken cancellationToken)
    {
        var deployment = await GetDeploymentAsync(id, cancellationToken).ConfigureAwait(false);
        var members = await ListCollectionDevicesAsync(deployment.CollectionId, cancellationToken).ConfigureAwait(false);
        var states = (await _store.ListDeploymentDeviceStatesAsync(deployment.Id, cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.DeviceId);
        var devices = new List<DeploymentDeviceStatus>();
        foreach (var device in members)
        {
            devices.Add(new DeploymentDeviceStatus(device.Id, device.Name, states.Remove(device.Id, out var s) ? s : null));
        }

        // Devices that reported but have left the collection since still count: their work happened.
        foreach (var state in states.Values)
        {
            var device = await _store.GetDeviceAsync(state.DeviceId, cancellationToken).ConfigureAwait(false);
            devices.Add(new DeploymentDeviceStatus(state.DeviceId, device?.Name ?? $"device {state.DeviceId}", state));
        }

        devices.Sort((x, y) => x.DeviceId.CompareTo(y.DeviceId));
        int Count(DeploymentState state) => devices.Count(d => (d.State?.State ?? DeploymentState.Unknown) == state);
        return new DeploymentSummary(deployment, devices.Count, Count(DeploymentState.Success), Count(DeploymentState.InProgress),
            Count(DeploymentState.Error), Count(DeploymentState.Unknown), devices);
    }
}

/// <summary>A deployment to create. Defaults: Available, DownloadLocallyWhenNeeded, unicast fallback allowed.</summary>
public sealed record DeploymentDefinition(
    string? TaskSequenceId,
    string? CollectionId,
    DeploymentPurpose? Purpose = null,
    DateTimeOffset? Available = null,
    DateTimeOffset? Deadline = null,
    ContentOption? ContentOption = null,
    bool? AllowUnicastFallback = null);

/// <summary>A deployment's status summary.</summary>
public sealed record DeploymentSummary(
    Deployment Deployment,
    int Targeted,
    int Success,
    int InProgress,
    int Error,
    int Unknown,
    IReadOnlyList<DeploymentDeviceStatus> Devices);

/// <summary>One device in a deployment summary; <see cref="State"/> is null while it has not reported.</summary>
public sealed record DeploymentDeviceStatus(long DeviceId, string DeviceName, DeploymentDeviceState? State);
