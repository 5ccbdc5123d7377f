using System.Data.Common;
using System.Text.Json;
using Deploycast.Site.Model;

namespace Deploycast.Site.Storage;

internal abstract partial class SqlSiteStore
{
    private const string CollectionColumns = "id, name, description, rules, created";

    public Task AddCollectionAsync(Collection collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(collection.Rules);
        return WriteAsync(
            () => ExecuteAsync(
                $"""
                INSERT INTO collections (id_key, name_key, {CollectionColumns})
                VALUES (@key, @nameKey, @id, @name, @description, @rules, @created)
                """,
                c => BindCollection(c, collection).With("@id", collection.Id).With("@created", collection.Created), cancellationToken),
            duplicate: async () => await ExistsAsync("SELECT 1 FROM collections WHERE id_key = @key", c => c.With("@key", SqlValues.Key(collection.Id)), cancellationToken)
                .ConfigureAwait(false)
                ? $"a collection with ID '{collection.Id}' already exists"
                : $"a collection named '{collection.Name}' already exists",
            missing: null);
    }

    public async Task<bool> UpdateCollectionAsync(Collection collection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(collection.Rules);
        return await WriteAsync(
            () => ExecuteAsync(
                "UPDATE collections SET name = @name, name_key = @nameKey, description = @description, rules = @rules WHERE id_key = @key",
                c => BindCollection(c, collection), cancellationToken),
            duplicate: () => Task.FromResult($"a collection named '{collection.Name}' already exists"),
            missing: null).ConfigureAwait(false) == 1;
    }

    public Task<Collection?> GetCollectionAsync(string id, CancellationToken cancellationToken) =>
        QuerySingleAsync($"SELECT {CollectionColumns} FROM collections WHERE id_key = @key", c => c.With("@key", SqlValues.Key(id)), ReadCollection, cancellationToken);

    public Task<PagedResult<Collection>> ListCollectionsAsync(Page page, CancellationToken cancellationToken) =>
        QueryPageAsync(CollectionColumns, "FROM collections", "id_key", _ => { }, ReadCollection, page, cancellationToken);

    public async Task<bool> DeleteCollectionAsync(string id, CancellationToken cancellationToken) =>
        // Direct memberships go with it (ON DELETE CASCADE); a deployment to it stops the delete.
        await WriteAsync(
            () => ExecuteAsync("DELETE FROM collections WHERE id_key = @key", c => c.With("@key", SqlValues.Key(id)), cancellationToken),
            duplicate: null,
            missing: () => Task.FromResult($"collection '{id}' has deployments; delete them first")).ConfigureAwait(false) == 1;

    public Task AddCollectionMemberAsync(string collectionId, long deviceId, CancellationToken cancellationToken) =>
        WriteAsync(
            () => ExecuteAsync(
                "INSERT INTO collection_members (collection_key, device_id) VALUES (@key, @device) ON CONFLICT (collection_key, device_id) DO NOTHING",
                c => c.With("@key", SqlValues.Key(collectionId)).With("@device", deviceId), cancellationToken),
            duplicate: null,
            missing: async () => await ExistsAsync("SELECT 1 FROM collections WHERE id_key = @key", c => c.With("@key", SqlValues.Key(collectionId)), cancellationToken)
                .ConfigureAwait(false)
                ? $"there is no device {deviceId}"
                : $"there is no collection with ID '{collectionId}'");

    public async Task<bool> RemoveCollectionMemberAsync(string collectionId, long deviceId, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "DELETE FROM collection_members WHERE collection_key = @key AND device_id = @device",
            c => c.With("@key", SqlValues.Key(collectionId)).With("@device", deviceId), cancellationToken).ConfigureAwait(false) == 1;

    public async Task<IReadOnlyList<long>> ListCollectionMembersAsync(string collectionId, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT device_id FROM collection_members WHERE collection_key = @key ORDER BY device_id",
            c => c.With("@key", SqlValues.Key(collectionId)), r => r.GetInt64(0), cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<string>> ListDirectCollectionsOfDeviceAsync(long deviceId, CancellationToken cancellationToken) =>
        await QueryAsync(
            "SELECT c.id FROM collection_members m JOIN collections c ON c.id_key = m.collection_key WHERE m.device_id = @device ORDER BY c.id_key",
            c => c.With("@device", deviceId), r => r.GetString(0), cancellationToken).ConfigureAwait(false);

    private static DbCommand BindCollection(DbCommand command, Collection collection) =>
        command.With("@key", SqlValues.Key(collection.Id)).With("@name", collection.Name).With("@nameKey", SqlValues.Key(collection.Name))
            .With("@description", collection.Description)
            .With("@rules", JsonSerializer.Serialize(collection.Rules, SiteStoreJson.Default.IReadOnlyListCollectionRule));

    private static Collection ReadCollection(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetNullableString(2),
        JsonSerializer.Deserialize(r.GetString(3), SiteStoreJson.Default.IReadOnlyListCollectionRule) ?? [], r.GetTime(4));
}
