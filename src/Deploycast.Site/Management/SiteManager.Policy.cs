using Deploycast.Site.Model;

namespace Deploycast.Site.Management;

public sealed partial class SiteManager
{
    /// <summary>
    /// What a device is to run: every deployment to a collection it belongs to that is available now, with the task
    /// sequence, the content each apply step needs (newest version), the DPs that hold it, and whether multicast and
    /// unicast are allowed for it. Only an approved device gets policy. The DPs are those whose distribution status for
    /// that version is Installed: the site server's own DP first, then registered DPs by id (the agent tries them in order).
    /// </summary>
    public async Task<DevicePolicy> GetPolicyAsync(Device device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Approval != DeviceApproval.Approved)
        {
            throw new SiteForbiddenException(device.Approval == DeviceApproval.Blocked
                ? $"Device {device.Id} is blocked."
                : $"Device {device.Id} is waiting for approval; an administrator approves it with 'deploycast device approve {device.Id}'.");
        }

        var now = Now;
        var collections = await CollectionsOfDeviceAsync(device, cancellationToken).ConfigureAwait(false);
        var deployments = await _store.ListDeploymentsToCollectionsAsync(collections.Select(c => c.Id).ToArray(), cancellationToken).ConfigureAwait(false);
        var dps = (await _store.ListDistributionPointsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(d => d.Id, StringComparer.OrdinalIgnoreCase);
        var result = new List<PolicyDeployment>();
        foreach (var deployment in deployments.OrderBy(d => d.Id, StringComparer.OrdinalIgnoreCase))
        {
            if (deployment.Available is { } available && available > now)
            {
                continue;
            }

            var sequence = await _store.GetTaskSequenceAsync(deployment.TaskSequenceId, cancellationToken).ConfigureAwait(false);
            if (sequence is null)
            {
                continue;
            }

            var content = new List<PolicyContent>();
            foreach (var packageId in PackageIdsOf(sequence.Steps))
            {
                if (await _store.GetPackageAsync(packageId, cancellationToken).ConfigureAwait(false) is not { } package
                    || await _store.GetPackageVersionAsync(package.Id, package.LatestVersion, cancellationToken).ConfigureAwait(false) is not { } version)
                {
                    continue;
                }

                var holders = (await _store.ListDistributionStatusAsync(package.Id, cancellationToken).ConfigureAwait(false))
                    .Where(s => s.Version == version.Version && s.State == DistributionState.Installed && dps.ContainsKey(s.DistributionPointId))
                    .Select(s => dps[s.DistributionPointId])
                    .OrderBy(dp => dp.IsLocal ? 0 : 1)
                    .ThenBy(dp => dp.Id, StringComparer.Ordinal)
                    .Select(dp => new PolicyDistributionPoint(dp.Id, dp.Url, dp.CertificateFingerprint))
                    .ToList();
                content.Add(ContentFor(deployment, package, version, holders));
            }

            var due = deployment.Purpose == DeploymentPurpose.Required && (deployment.Deadline is null || deployment.Deadline <= now);
            result.Add(new PolicyDeployment(deployment.Id, deployment.Purpose, deployment.Available, deployment.Deadline, due,
                deployment.ContentOption, deployment.AllowUnicastFallback, sequence, content));
        }

        return new DevicePolicy(device.Id, device.Name, now, _distributor?.SiteKey, result);
    }

    /// <summary>How one package travels for one deployment.</summary>
    public static PolicyContent ContentFor(Deployment deployment, Package package, PackageVersion version, IReadOnlyList<PolicyDistributionPoint> distributionPoints)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(version);

        // Multicast serves only "download content locally when needed", as in Configuration Manager.
        var multicast = package.AllowMulticast && deployment.ContentOption == ContentOption.DownloadLocallyWhenNeeded;
        var unicast = !package.MulticastOnly && (!multicast || deployment.AllowUnicastFallback);
        return new PolicyContent(package.Id, version.Version, package.Name, package.ImageType, version.ContentId, version.Size,
            multicast, package.EncryptMulticast && multicast, package.MulticastOnly, unicast, distributionPoints);
    }

    /// <summary>Whether a package is deployed to a device now (so it may have the session key or the encrypted content of
    /// any of its versions: an agent that started on version 1 finishes it after version 2 is published).</summary>
    public async Task<bool> IsDeployedContentAsync(Device device, string packageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Approval != DeviceApproval.Approved)
        {
            return false;
        }

        // What the device's policy would list, without building all of it: the DP asks on every session request and
        // every range of an encrypted download. Policy names a package while it and its newest version exist, through
        // a deployment that is available now and whose task sequence applies it.
        if (await _store.GetPackageAsync(packageId, cancellationToken).ConfigureAwait(false) is not { } package
            || await _store.GetPackageVersionAsync(package.Id, package.LatestVersion, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        var now = Now;
        var collections = await CollectionsOfDeviceAsync(device, cancellationToken).ConfigureAwait(false);
        foreach (var deployment in await _store.ListDeploymentsToCollectionsAsync(collections.Select(c => c.Id).ToArray(), cancellationToken).ConfigureAwait(false))
        {
            if (deployment.Available is { } available && available > now)
            {
                continue;
            }

            if (await _store.GetTaskSequenceAsync(deployment.TaskSequenceId, cancellationToken).ConfigureAwait(false) is { } sequence
                && PackageIdsOf(sequence.Steps).Contains(package.Id, StringComparer.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
