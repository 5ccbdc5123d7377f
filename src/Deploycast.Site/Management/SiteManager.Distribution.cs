using Deploycast.Site.Model;

namespace Deploycast.Site.Management;

/// <summary>
/// Content distribution to distribution points that run as their own process. The site keeps, per package version and
/// DP, a distribution status row: the rows of a DP are what is assigned to it. The DP pulls: it polls the site with its
/// credential (<see cref="ReportDistributionPointAsync"/>), fetches what is assigned from the site's own DP over HTTPS,
/// checks every block against the site-signed manifest, stores the content with that manifest, and reports each
/// version's state on its next poll. Policy lists a DP for a version only once its state is Installed.
/// </summary>
public sealed partial class SiteManager
{
    /// <summary>Prefix of a registered DP's credential.</summary>
    internal const string DistributionPointCredentialPrefix = "dcp_";

    /// <summary>Status message ids of content distribution (site source, about one DP).</summary>
    public const int DistributionInstalledMessage = 2330;

    /// <summary>Content distribution failed on a DP; the text says why.</summary>
    public const int DistributionFailedMessage = 2303;

    /// <summary>The registered DP whose credential this is, or null.</summary>
    public async Task<DistributionPointRecord?> AuthenticateDistributionPointAsync(string? credential, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(credential) || !credential.StartsWith(DistributionPointCredentialPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        return await _store.FindDistributionPointByCredentialAsync(HashSecret(credential), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A registered DP asks whether a client may receive an encrypted package from it (its session key, or its content
    /// by HTTP): only the site knows devices' credentials and what is deployed to them. Allowed when the token is the
    /// credential of an approved device the package is deployed to, and the package is assigned to that DP.
    /// </summary>
    public async Task<ClientCheckVerdict> CheckClientForDistributionPointAsync(DistributionPointRecord distributionPoint, ClientCheck? check, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(distributionPoint);
        var errors = new ValidationErrors();
        if (string.IsNullOrEmpty(check?.Token))
        {
            errors.Add("token", "token is required: the bearer token the client presented to the distribution point.");
        }

        if (string.IsNullOrWhiteSpace(check?.PackageId))
        {
            errors.Add("packageId", "packageId is required: the package the client asks for.");
        }

        errors.ThrowIfAny();
        var device = await AuthenticateDeviceAsync(check!.Token, cancellationToken).ConfigureAwait(false);
        if (device is null)
        {
            return new ClientCheckVerdict(false, null, "not the credential of a device registered with this site");
        }

        var assigned = (await _store.ListDistributionStatusAsync(check.PackageId!, cancellationToken).ConfigureAwait(false))
            .Any(s => s.DistributionPointId == distributionPoint.Id);
        if (!assigned)
        {
            return new ClientCheckVerdict(false, device.Id, $"package {check.PackageId} is not distributed to {distributionPoint.Id}");
        }

        return await IsDeployedContentAsync(device, check.PackageId!, cancellationToken).ConfigureAwait(false)
            ? new ClientCheckVerdict(true, device.Id, null)
            : new ClientCheckVerdict(false, device.Id, $"package {check.PackageId} is not deployed to device {device.Id}");
    }

    /// <summary>
    /// "Distribute Content": assigns the package's newest version to each DP. A DP that already has it assigned keeps
    /// its state; the others start at InProgress until the DP reports. Returns the package's distribution status.
    /// </summary>
    public async Task<IReadOnlyList<DistributionStatus>> DistributeContentAsync(string packageId, IReadOnlyList<string>? distributionPointIds, CancellationToken cancellationToken)
    {
        var package = await RequirePackageAsync(packageId, cancellationToken).ConfigureAwait(false);
        var errors = new ValidationErrors();
        if (distributionPointIds is not { Count: > 0 })
        {
            errors.Add("distributionPointIds", "distributionPointIds is required: the distribution points to distribute the package to (deploycast dp list).");
        }

        var targets = new List<DistributionPointRecord>();
        for (var i = 0; i < (distributionPointIds?.Count ?? 0); i++)
        {
            var id = distributionPointIds![i]?.Trim();
            var dp = string.IsNullOrEmpty(id) ? null : await _store.GetDistributionPointAsync(id, cancellationToken).ConfigureAwait(false);
            if (dp is null)
            {
                errors.Add($"distributionPointIds[{i}]", $"There is no distribution point '{id}' (deploycast dp list shows them).");
            }
            else if (dp.IsLocal)
            {
                errors.Add($"distributionPointIds[{i}]", $"'{dp.Id}' is a site server's own distribution point: it receives every package when the package is imported.");
            }
            else if (!targets.Contains(dp))
            {
                targets.Add(dp);
            }
        }

        errors.ThrowIfAny();
        var existing = await _store.ListDistributionStatusAsync(package.Id, cancellationToken).ConfigureAwait(false);
        foreach (var dp in targets)
        {
            await AssignAsync(package.Id, package.LatestVersion, dp.Id, existing, cancellationToken).ConfigureAwait(false);
        }

        return await _store.ListDistributionStatusAsync(package.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>"Remove from distribution point": every version of the package leaves the DP's assignments; the DP deletes
    /// the content at its next poll, and policy stops listing it at once.</summary>
    public async Task RemoveContentAsync(string packageId, string distributionPointId, CancellationToken cancellationToken)
    {
        var package = await RequirePackageAsync(packageId, cancellationToken).ConfigureAwait(false);
        var dp = await _store.GetDistributionPointAsync(distributionPointId, cancellationToken).ConfigureAwait(false)
            ?? throw new SiteNotFoundException($"There is no distribution point '{distributionPointId}'.");
        if (dp.IsLocal)
        {
            throw new SiteConflictException($"'{dp.Id}' is the site server's own distribution point; it holds every package the site imported.");
        }

        if (await _store.DeleteDistributionStatusAsync(package.Id, dp.Id, cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new SiteNotFoundException($"Package {package.Id} is not distributed to '{dp.Id}'.");
        }

        SiteLog.DistributionChanged(_logger, package.Id, package.LatestVersion, dp.Id, DistributionState.InProgress, "removed: the DP deletes it at its next poll");
    }

    /// <summary>Unregisters a DP: its record, credential and distribution status go; its next poll is refused (401).</summary>
    public async Task RemoveDistributionPointAsync(string distributionPointId, CancellationToken cancellationToken)
    {
        var dp = await _store.GetDistributionPointAsync(distributionPointId, cancellationToken).ConfigureAwait(false)
            ?? throw new SiteNotFoundException($"There is no distribution point '{distributionPointId}'.");
        if (dp.IsLocal)
        {
            throw new SiteConflictException($"'{dp.Id}' is a site server's own distribution point; it cannot be removed from the site.");
        }

        await _store.DeleteDistributionPointAsync(dp.Id, cancellationToken).ConfigureAwait(false);
        SiteLog.DistributionPointRemoved(_logger, dp.Id);
    }

    /// <summary>
    /// A registered DP's poll: records its contact and health, applies the states it reports for versions assigned to it
    /// (a report about anything else is ignored: it was removed meanwhile), and answers with what is assigned to it now.
    /// Installed is accepted only for the content id the site has for that version.
    /// </summary>
    public async Task<DistributionAssignments> ReportDistributionPointAsync(DistributionPointRecord distributionPoint, DistributionPointReport? report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(distributionPoint);
        var content = report?.Content ?? [];
        var errors = new ValidationErrors();
        for (var i = 0; i < content.Count; i++)
        {
            var item = content[i];
            if (item is null || string.IsNullOrWhiteSpace(item.PackageId))
            {
                errors.Add($"content[{i}].packageId", "packageId is required.");
            }

            if (item?.Version is null or < 1)
            {
                errors.Add($"content[{i}].version", "version must be 1 or more.");
            }

            if (item?.State is not { } state || !Enum.IsDefined(state))
            {
                errors.Add($"content[{i}].state", $"state is required: one of {string.Join(", ", Enum.GetNames<DistributionState>())}.");
            }
            else if (state == DistributionState.Installed && string.IsNullOrWhiteSpace(item.ContentId))
            {
                errors.Add($"content[{i}].contentId", "contentId is required with state Installed: the SHA-256 of the content the DP holds.");
            }

            if (item?.Message is { Length: > 2000 })
            {
                errors.Add($"content[{i}].message", $"message must be at most 2000 characters; it has {item.Message.Length}.");
            }
        }

        errors.ThrowIfAny();
        var now = Now;
        await _store.TouchDistributionPointAsync(distributionPoint.Id, now, report?.Health, cancellationToken).ConfigureAwait(false);
        var assigned = (await _store.ListDistributionStatusOfDistributionPointAsync(distributionPoint.Id, cancellationToken).ConfigureAwait(false)).ToList();
        foreach (var item in content)
        {
            var row = assigned.FirstOrDefault(s => s.Version == item.Version && string.Equals(s.PackageId, item.PackageId, StringComparison.OrdinalIgnoreCase));
            if (row is null)
            {
                continue;
            }

            var state = item.State!.Value;
            var message = string.IsNullOrWhiteSpace(item.Message) ? null : item.Message.Trim();
            if (state == DistributionState.Installed
                && await _store.GetPackageVersionAsync(row.PackageId, row.Version, cancellationToken).ConfigureAwait(false) is { } version
                && !string.Equals(version.ContentId, item.ContentId, StringComparison.OrdinalIgnoreCase))
            {
                // Never Installed for other bytes than the site's: the DP holds something else under this version.
                state = DistributionState.Failed;
                message = $"The distribution point reports content {item.ContentId}; version {row.Version} is {version.ContentId}.";
            }

            if (row.State == state && row.Message == message)
            {
                continue;
            }

            var changed = row with { State = state, Message = message, Updated = now };
            await _store.SaveDistributionStatusAsync(changed, cancellationToken).ConfigureAwait(false);
            assigned[assigned.IndexOf(row)] = changed;
            SiteLog.DistributionChanged(_logger, row.PackageId, row.Version, distributionPoint.Id, state, message);
            if (state != DistributionState.InProgress)
            {
                var installed = state == DistributionState.Installed;
                await RecordStatusAsync(new StatusMessage(0, now, StatusSource.DistributionPoint,
                    installed ? DistributionInstalledMessage : DistributionFailedMessage,
                    installed ? StatusSeverity.Informational : StatusSeverity.Error, "DistributionManager",
                    installed
                        ? $"Package {row.PackageId} version {row.Version} is installed on distribution point {distributionPoint.Id}."
                        : $"Package {row.PackageId} version {row.Version} could not be distributed to {distributionPoint.Id}: {message}",
                    DistributionPointId: distributionPoint.Id), cancellationToken).ConfigureAwait(false);
            }
        }

        var assignments = new List<DistributionAssignment>();
        foreach (var row in assigned)
        {
            if (await _store.GetPackageAsync(row.PackageId, cancellationToken).ConfigureAwait(false) is { } package
                && await _store.GetPackageVersionAsync(row.PackageId, row.Version, cancellationToken).ConfigureAwait(false) is { } version)
            {
                assignments.Add(new DistributionAssignment(package.Id, version.Version, package.Name, version.ContentId, version.Size,
                    package.AllowMulticast, package.EncryptMulticast, package.MulticastOnly, row.State));
            }
        }

        return new DistributionAssignments(distributionPoint.Id, (int)_options.DistributionPointPollInterval.TotalSeconds, assignments);
    }

    /// <summary>A new version goes to every registered DP that holds an earlier one ("update distribution points").</summary>
    private async Task AssignNewVersionAsync(string packageId, int version, CancellationToken cancellationToken)
    {
        var existing = await _store.ListDistributionStatusAsync(packageId, cancellationToken).ConfigureAwait(false);
        var dps = await _store.ListDistributionPointsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var dpId in existing.Select(s => s.DistributionPointId).Distinct(StringComparer.Ordinal).ToList())
        {
            if (dps.FirstOrDefault(d => d.Id == dpId) is { IsLocal: false })
            {
                await AssignAsync(packageId, version, dpId, existing, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task AssignAsync(string packageId, int version, string distributionPointId, IReadOnlyList<DistributionStatus> existing, CancellationToken cancellationToken)
    {
        if (existing.Any(s => s.Version == version && s.DistributionPointId == distributionPointId && s.State != DistributionState.Failed))
        {
            return;
        }

        // A failed version is assigned again: "Redistribute" in ConfigMgr's words.
        var message = $"Waiting for {distributionPointId} to fetch the content (it polls the site every {(int)_options.DistributionPointPollInterval.TotalSeconds} s).";
        await _store.SaveDistributionStatusAsync(new DistributionStatus(packageId, version, distributionPointId, DistributionState.InProgress, message, Now), cancellationToken).ConfigureAwait(false);
        SiteLog.DistributionChanged(_logger, packageId, version, distributionPointId, DistributionState.InProgress, message);
    }
}

/// <summary>Body of <c>POST /api/v1/distribution-points/check-client</c>: a token a client showed a registered DP, and the package it asked for.</summary>
public sealed record ClientCheck(string? Token, string? PackageId);

/// <summary>The site's answer to <see cref="ClientCheck"/>.</summary>
/// <param name="DeviceId">The device the token belongs to, when it is a device credential.</param>
/// <param name="Reason">Why not, when not allowed.</param>
public sealed record ClientCheckVerdict(bool Allowed, long? DeviceId, string? Reason);

/// <summary>Body of <c>POST /api/v1/packages/{id}/distribution-points</c>.</summary>
public sealed record DistributionRequest(IReadOnlyList<string>? DistributionPointIds);

/// <summary>Body of <c>POST /api/v1/distribution-points/poll</c>: a registered DP's health and the state of its assigned content.</summary>
public sealed record DistributionPointReport(DistributionPointHealth? Health, IReadOnlyList<DistributionContentReport>? Content);

/// <summary>Where one assigned package version stands on the DP.</summary>
/// <param name="ContentId">With Installed: the SHA-256 of the content the DP holds.</param>
/// <param name="Message">With Failed: why; with InProgress: how far.</param>
public sealed record DistributionContentReport(string? PackageId, int? Version, string? ContentId, DistributionState? State, string? Message);

/// <summary>The answer to a DP's poll: everything assigned to it now (anything else it holds from the site, it removes).</summary>
/// <param name="PollSeconds">When to poll next (<c>Site:DistributionPointPollInterval</c>).</param>
public sealed record DistributionAssignments(string DistributionPointId, int PollSeconds, IReadOnlyList<DistributionAssignment> Content);

/// <summary>A package version assigned to a DP, with the package's options the DP applies to it.</summary>
/// <param name="State">Its distribution status at the site: a DP does not fetch again a version whose failure the site
/// holds, until an administrator distributes it again (the state is then InProgress).</param>
public sealed record DistributionAssignment(
    string PackageId, int Version, string Name, string ContentId, long Size, bool AllowMulticast, bool EncryptMulticast, bool MulticastOnly,
    DistributionState State);
