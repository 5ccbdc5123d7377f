using Deploycast.Site.Model;
using Microsoft.Extensions.Logging;

namespace Deploycast.Site;

/// <summary>The site server's log messages (event ids 5100–5199; the store logs 5000–5099).</summary>
internal static partial class SiteLog
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Package {PackageId} '{Name}' imported ({Size} bytes)")]
    public static partial void PackageImported(ILogger logger, string packageId, string name, long size);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Device {DeviceId} '{Name}' registered (unknown computer: {Unknown}, approval: {Approval})")]
    public static partial void DeviceRegistered(ILogger logger, long deviceId, string name, bool unknown, DeviceApproval approval);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Device {DeviceId} '{Name}' set to {Approval}")]
    public static partial void DeviceApproval(ILogger logger, long deviceId, string name, DeviceApproval approval);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Deployment {DeploymentId}: task sequence {TaskSequenceId} to collection {CollectionId} ({Purpose})")]
    public static partial void Deployed(ILogger logger, string deploymentId, string taskSequenceId, string collectionId, DeploymentPurpose purpose);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "Device {DeviceId} '{Name}' registered again without its credential; it waits for approval (another computer may claim its MAC address)")]
    public static partial void ConflictingRegistration(ILogger logger, long deviceId, string name);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Information, Message = "Distribution point {DistributionPointId} registered at {Url} (again: {Again})")]
    public static partial void DistributionPointRegistered(ILogger logger, string distributionPointId, Uri url, bool again);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Information, Message = "Package {PackageId} version {Version} on distribution point {DistributionPointId}: {State} {Message}")]
    public static partial void DistributionChanged(ILogger logger, string packageId, int version, string distributionPointId, DistributionState state, string? message);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Information, Message = "Distribution point {DistributionPointId} removed from the site")]
    public static partial void DistributionPointRemoved(ILogger logger, string distributionPointId);
}
