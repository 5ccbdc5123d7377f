using Deploycast.Site.Model;

namespace Deploycast.Site.Storage;

/// <summary>
/// The site database. Two implementations share one contract: SQLite (a file in the data directory, the default)
/// and PostgreSQL (several server processes share one site). Every method is safe to call from several threads and,
/// for PostgreSQL, from several processes. Ids and names of packages, collections, task sequences and deployments
/// compare without regard to case. Lists are ordered by id.
/// </summary>
public interface ISiteStore : IAsyncDisposable
{
    /// <summary>Creates or upgrades the schema to the newest version. Safe when several servers start at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>The schema version in the database (0 when empty).</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken);

    /// <summary>The next number of a named counter (from 1), unique across processes.</summary>
    Task<long> NextNumberAsync(string counter, CancellationToken cancellationToken);

    // Settings and secrets (token hashes, approval mode).
    Task<string?> GetSettingAsync(string name, CancellationToken cancellationToken);

    Task SetSettingAsync(string name, string value, CancellationToken cancellationToken);

    /// <summary>Removes a setting; false when there was none.</summary>
    Task<bool> DeleteSettingAsync(string name, CancellationToken cancellationToken);

    /// <summary>The settings whose names start with <paramref name="prefix"/> (exactly), by name.</summary>
    Task<IReadOnlyList<KeyValuePair<string, string>>> ListSettingsAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Sets the value only when there is none; returns whether it was set (first start of several servers).</summary>
    Task<bool> TrySetSettingAsync(string name, string value, CancellationToken cancellationToken);

    // Packages.
    /// <summary>Adds a package; throws <see cref="SiteStoreConflictException"/> when the id exists.</summary>
    Task AddPackageAsync(Package package, CancellationToken cancellationToken);

    /// <summary>Replaces a package's properties; returns false when there is no such package.</summary>
    Task<bool> UpdatePackageAsync(Package package, CancellationToken cancellationToken);

    Task<Package?> GetPackageAsync(string id, CancellationToken cancellationToken);

    Task<PagedResult<Package>> ListPackagesAsync(Page page, CancellationToken cancellationToken);

    /// <summary>Adds a version; throws <see cref="SiteStoreConflictException"/> when it exists.</summary>
    Task AddPackageVersionAsync(PackageVersion version, CancellationToken cancellationToken);

    Task<PackageVersion?> GetPackageVersionAsync(string packageId, int version, CancellationToken cancellationToken);

    /// <summary>A package's versions, oldest first.</summary>
    Task<IReadOnlyList<PackageVersion>> ListPackageVersionsAsync(string packageId, CancellationToken cancellationToken);

    // Distribution points and distribution status.
    /// <summary>Adds or replaces a DP record.</summary>
    Task SaveDistributionPointAsync(DistributionPointRecord distributionPoint, CancellationToken cancellationToken);

    Task<DistributionPointRecord?> GetDistributionPointAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<DistributionPointRecord>> ListDistributionPointsAsync(CancellationToken cancellationToken);

    /// <summary>Records that a DP made contact, and what it reported (null keeps the last report); false when there is no such DP.</summary>
    Task<bool> TouchDistributionPointAsync(string id, DateTimeOffset time, DistributionPointHealth? health, CancellationToken cancellationToken);

    /// <summary>Sets the hash of a DP's credential, replacing any earlier one; false when there is no such DP.</summary>
    Task<bool> SetDistributionPointCredentialAsync(string id, string credentialHash, CancellationToken cancellationToken);

    /// <summary>The DP whose credential has this hash, or null.</summary>
    Task<DistributionPointRecord?> FindDistributionPointByCredentialAsync(string credentialHash, CancellationToken cancellationToken);

    /// <summary>Removes a DP record, its credential and its distribution status; false when there is no such DP.</summary>
    Task<bool> DeleteDistributionPointAsync(string id, CancellationToken cancellationToken);

    /// <summary>Removes every version of a package from one DP's distribution status; returns how many rows went.</summary>
    Task<int> DeleteDistributionStatusAsync(string packageId, string distributionPointId, CancellationToken cancellationToken);

    /// <summary>One DP's distribution status rows, by package and version.</summary>
    Task<IReadOnlyList<DistributionStatus>> ListDistributionStatusOfDistributionPointAsync(string distributionPointId, CancellationToken cancellationToken);

    /// <summary>Adds or replaces the status of one version on one DP.</summary>
    Task SaveDistributionStatusAsync(DistributionStatus status, CancellationToken cancellationToken);

    /// <summary>Distribution status rows, for one package or (null) all, ordered by package, version, DP.</summary>
    Task<IReadOnlyList<DistributionStatus>> ListDistributionStatusAsync(string? packageId, CancellationToken cancellationToken);

    // Devices.
    /// <summary>
    /// Adds a device and returns it with the id the store gave it (the id passed in is ignored). A MAC address belongs
    /// to one device: one another device has (even one added at the same moment by another process) throws
    /// <see cref="SiteStoreConflictException"/>, and nothing is added.
    /// </summary>
    Task<Device> AddDeviceAsync(Device device, CancellationToken cancellationToken);

    /// <summary>Replaces a device's record; returns false when there is no such device; throws
    /// <see cref="SiteStoreConflictException"/> when one of its MAC addresses belongs to another device.</summary>
    Task<bool> UpdateDeviceAsync(Device device, CancellationToken cancellationToken);

    Task<Device?> GetDeviceAsync(long id, CancellationToken cancellationToken);

    /// <summary>Sets only a device's approval (a whole-record update could write back a stale approval); returns false
    /// when there is no such device.</summary>
    Task<bool> SetDeviceApprovalAsync(long id, DeviceApproval approval, CancellationToken cancellationToken);

    /// <summary>Records that the device made contact (and its address, when given), touching nothing else.</summary>
    Task<bool> TouchDeviceAsync(long id, DateTimeOffset time, string? ipv4Address, CancellationToken cancellationToken);

    /// <summary>Devices that have any of these MAC addresses (normalized) or this SMBIOS UUID.</summary>
    Task<IReadOnlyList<Device>> FindDevicesAsync(IReadOnlyCollection<string> macAddresses, Guid? smbiosUuid, CancellationToken cancellationToken);

    Task<PagedResult<Device>> ListDevicesAsync(Page page, CancellationToken cancellationToken);

    /// <summary>Removes a device, its credential, its direct memberships and its deployment states.</summary>
    Task<bool> DeleteDeviceAsync(long id, CancellationToken cancellationToken);

    /// <summary>Sets the hash of the device's credential (replacing any earlier one).</summary>
    Task SetDeviceCredentialAsync(long deviceId, string credentialHash, CancellationToken cancellationToken);

    /// <summary>The device whose credential has this hash, or null.</summary>
    Task<Device?> FindDeviceByCredentialAsync(string credentialHash, CancellationToken cancellationToken);

    // Collections.
    /// <summary>Adds a collection; throws <see cref="SiteStoreConflictException"/> when the id or the name exists.</summary>
    Task AddCollectionAsync(Collection collection, CancellationToken cancellationToken);

    /// <summary>Replaces name, description and rules; throws <see cref="SiteStoreConflictException"/> on a name
    /// another collection has; returns false when there is no such collection.</summary>
    Task<bool> UpdateCollectionAsync(Collection collection, CancellationToken cancellationToken);

    Task<Collection?> GetCollectionAsync(string id, CancellationToken cancellationToken);

    Task<PagedResult<Collection>> ListCollectionsAsync(Page page, CancellationToken cancellationToken);

    /// <summary>Removes a collection and its direct memberships (not its deployments: the site refuses that first).</summary>
    Task<bool> DeleteCollectionAsync(string id, CancellationToken cancellationToken);

    /// <summary>Adds a direct member; adding one twice is not an error.</summary>
    Task AddCollectionMemberAsync(string collectionId, long deviceId, CancellationToken cancellationToken);

    Task<bool> RemoveCollectionMemberAsync(string collectionId, long deviceId, CancellationToken cancellationToken);

    /// <summary>The device ids of a collection's direct members, ascending.</summary>
    Task<IReadOnlyList<long>> ListCollectionMembersAsync(string collectionId, CancellationToken cancellationToken);

    /// <summary>The ids of the collections that have this device as a direct member.</summary>
    Task<IReadOnlyList<string>> ListDirectCollectionsOfDeviceAsync(long deviceId, CancellationToken cancellationToken);

    // Task sequences.
    Task AddTaskSequenceAsync(TaskSequence taskSequence, CancellationToken cancellationToken);

    Task<bool> UpdateTaskSequenceAsync(TaskSequence taskSequence, CancellationToken cancellationToken);

    Task<TaskSequence?> GetTaskSequenceAsync(string id, CancellationToken cancellationToken);

    Task<PagedResult<TaskSequence>> ListTaskSequencesAsync(Page page, CancellationToken cancellationToken);

    // Deployments.
    Task AddDeploymentAsync(Deployment deployment, CancellationToken cancellationToken);

    Task<Deployment?> GetDeploymentAsync(string id, CancellationToken cancellationToken);

    Task<PagedResult<Deployment>> ListDeploymentsAsync(Page page, CancellationToken cancellationToken);

    /// <summary>The deployments to any of these collections.</summary>
    Task<IReadOnlyList<Deployment>> ListDeploymentsToCollectionsAsync(IReadOnlyCollection<string> collectionIds, CancellationToken cancellationToken);

    Task<bool> DeleteDeploymentAsync(string id, CancellationToken cancellationToken);

    // Status.
    /// <summary>Stores a status message and returns it with its id.</summary>
    Task<StatusMessage> AddStatusMessageAsync(StatusMessage message, CancellationToken cancellationToken);

    /// <summary>Status messages, newest first, filtered by any of the given ids.</summary>
    Task<PagedResult<StatusMessage>> ListStatusMessagesAsync(StatusMessageFilter filter, Page page, CancellationToken cancellationToken);

    /// <summary>Adds or replaces one device's state in one deployment, atomically.</summary>
    Task SaveDeploymentDeviceStateAsync(DeploymentDeviceState state, CancellationToken cancellationToken);

    Task<DeploymentDeviceState?> GetDeploymentDeviceStateAsync(string deploymentId, long deviceId, CancellationToken cancellationToken);

    /// <summary>Every device state of one deployment, by device id.</summary>
    Task<IReadOnlyList<DeploymentDeviceState>> ListDeploymentDeviceStatesAsync(string deploymentId, CancellationToken cancellationToken);
}

/// <summary>Which status messages to list; null fields do not filter.</summary>
public sealed record StatusMessageFilter(long? DeviceId = null, string? DeploymentId = null, string? DistributionPointId = null, DateTimeOffset? Since = null);

/// <summary>An add that would break a unique id or name.</summary>
public sealed class SiteStoreConflictException(string message, Exception? inner = null) : Exception(message, inner);
