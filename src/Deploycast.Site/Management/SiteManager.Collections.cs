using Deploycast.Site.Model;
using Deploycast.Site.Storage;

namespace Deploycast.Site.Management;

public sealed partial class SiteManager
{
    /// <summary>Creates a collection with optional rules and direct members.</summary>
    public async Task<Collection> CreateCollectionAsync(CollectionDefinition request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new ValidationErrors();
        var name = errors.Name("name", request.Name);
        var description = errors.Description("description", request.Description);
        var rules = CollectionRules.Normalize(request.Rules, errors);
        errors.ThrowIfAny();
        await RequireDevicesAsync("members", request.Members ?? [], cancellationToken).ConfigureAwait(false);
        var id = Identifiers.Collection(await _store.NextNumberAsync(Identifiers.CollectionCounter, cancellationToken).ConfigureAwait(false));
        var collection = new Collection(id, name!, description, rules, Now);
        try
        {
            await _store.AddCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
        }
        catch (SiteStoreConflictException e)
        {
            throw new SiteConflictException(e.Message);
        }

        foreach (var member in (request.Members ?? []).Distinct())
        {
            await _store.AddCollectionMemberAsync(id, member, cancellationToken).ConfigureAwait(false);
        }

        return collection;
    }

    /// <summary>Changes name, description or rules (null leaves them).</summary>
    public async Task<Collection> UpdateCollectionAsync(string collectionId, CollectionDefinition change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var collection = await RequireCollectionAsync(collectionId, cancellationToken).ConfigureAwait(false);
        if (IsBuiltIn(collection.Id))
        {
            throw new SiteConflictException($"{collection.Name} is a built-in collection; it cannot be changed.");
        }

        var errors = new ValidationErrors();
        var updated = collection with
        {
            Name = change.Name is null ? collection.Name : errors.Name("name", change.Name) ?? collection.Name,
            Description = change.Description is null ? collection.Description : errors.Description("description", change.Description),
            Rules = change.Rules is null ? collection.Rules : CollectionRules.Normalize(change.Rules, errors),
        };
        errors.ThrowIfAny();
        try
        {
            await _store.UpdateCollectionAsync(updated, cancellationToken).ConfigureAwait(false);
        }
        catch (SiteStoreConflictException e)
        {
            throw new SiteConflictException(e.Message);
        }

        return updated;
    }

    public async Task<Collection> GetCollectionAsync(string collectionId, CancellationToken cancellationToken) =>
        await RequireCollectionAsync(collectionId, cancellationToken).ConfigureAwait(false);

    public Task<PagedResult<Collection>> ListCollectionsAsync(Page page, CancellationToken cancellationToken) => _store.ListCollectionsAsync(page, cancellationToken);

    /// <summary>Deletes a collection that no deployment targets.</summary>
    public async Task DeleteCollectionAsync(string collectionId, CancellationToken cancellationToken)
    {
        var collection = await RequireCollectionAsync(collectionId, cancellationToken).ConfigureAwait(false);
        if (IsBuiltIn(collection.Id))
        {
            throw new SiteConflictException($"{collection.Name} is a built-in collection; it cannot be deleted.");
        }

        var deployments = await _store.ListDeploymentsToCollectionsAsync([collection.Id], cancellationToken).ConfigureAwait(false);
        if (deployments.Count > 0)
        {
            throw new SiteConflictException(
                $"Collection {collection.Id} has deployments ({string.Join(", ", deployments.Select(d => d.Id))}); delete them first.");
        }

        await _store.DeleteCollectionAsync(collection.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds direct members (ConfigMgr's direct membership rule).</summary>
    public async Task AddCollectionMembersAsync(string collectionId, IReadOnlyList<long>? deviceIds, CancellationToken cancellationToken)
    {
        var collection = await RequireCollectionAsync(collectionId, cancellationToken).ConfigureAwait(false);
        if (IsBuiltIn(collection.Id))
        {
            throw new SiteConflictException($"{collection.Name} is a built-in collection; its members are decided by the site.");
        }

        if (deviceIds is null || deviceIds.Count == 0)
        {
            throw SiteValidationException.One("deviceIds", "Give at least one device id.");
        }

        await RequireDevicesAsync("deviceIds", deviceIds, cancellationToken).ConfigureAwait(false);
        foreach (var id in deviceIds.Distinct())
        {
            await _store.AddCollectionMemberAsync(collection.Id, id, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task RemoveCollectionMemberAsync(string collectionId, long deviceId, CancellationToken cancellationToken)
    {
        var collection = await RequireCollectionAsync(collectionId, cancellationToken).ConfigureAwait(false);
        if (!await _store.RemoveCollectionMemberAsync(collection.Id, deviceId, cancellationToken).ConfigureAwait(false))
        {
            throw new SiteNotFoundException($"Device {deviceId} is not a direct member of collection {collection.Id}.");
        }
    }

    /// <summary>Every device in the collection now: direct members and rule matches (for built-ins, the site's rule).</summary>
    public async Task<IReadOnlyList<Device>> ListCollectionDevicesAsync(string collectionId, CancellationToken cancellationToken)
    {
        var collection = await RequireCollectionAsync(collectionId, cancellationToken).ConfigureAwait(false);
        var direct = (await _store.ListCollectionMembersAsync(collection.Id, cancellationToken).ConfigureAwait(false)).ToHashSet();
        var devices = await _store.ListDevicesAsync(Page.All, cancellationToken).ConfigureAwait(false);
        return devices.Items.Where(d => IsMember(collection, d, direct.Contains(d.Id))).ToList();
    }

    /// <summary>Whether a device belongs to a collection, given whether it is a direct member.</summary>
    public static bool IsMember(Collection collection, Device device, bool directMember)
    {
        if (string.Equals(collection.Id, Identifiers.AllSystems, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (string.Equals(collection.Id, Identifiers.AllUnknownComputers, StringComparison.OrdinalIgnoreCase))
        {
            return device.IsUnknown;
        }

        return directMember || CollectionRules.Matches(collection.Rules, device);
    }

    /// <summary>The collections a device belongs to.</summary>
    public async Task<IReadOnlyList<Collection>> CollectionsOfDeviceAsync(Device device, CancellationToken cancellationToken)
    {
        var direct = (await _store.ListDirectCollectionsOfDeviceAsync(device.Id, cancellationToken).ConfigureAwait(false))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var all = await _store.ListCollectionsAsync(Page.All, cancellationToken).ConfigureAwait(false);
        return all.Items.Where(c => IsMember(c, device, direct.Contains(c.Id))).ToList();
    }

    private async Task<Collection> RequireCollectionAsync(string collectionId, CancellationToken cancellationToken) =>
        await _store.GetCollectionAsync(collectionId, cancellationToken).ConfigureAwait(false)
        ?? throw new SiteNotFoundException($"There is no collection '{collectionId}'.");

    private async Task RequireDevicesAsync(string field, IReadOnlyList<long> deviceIds, CancellationToken cancellationToken)
    {
        var missing = new List<long>();
        foreach (var id in deviceIds.Distinct())
        {
            if (await _store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) is null)
            {
                missing.Add(id);
            }
        }

        if (missing.Count > 0)
        {
            throw SiteValidationException.One(field, $"There is no device {string.Join(", ", missing)}.");
        }
    }
}

/// <summary>A collection to create or its changes (null fields stay as they are).</summary>
public sealed record CollectionDefinition(
    string? Name,
    string? Description = null,
    IReadOnlyList<CollectionRule>? Rules = null,
    IReadOnlyList<long>? Members = null);
