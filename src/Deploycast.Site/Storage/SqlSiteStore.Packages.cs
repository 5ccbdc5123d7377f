using System.Data.Common;
using System.Text.Json;
using Deploycast.Site.Model;

namespace Deploycast.Site.Storage;

internal abstract partial class SqlSiteStore
{
    private const string PackageColumns =
        "id, name, description, image_type, latest_version, allow_multicast, encrypt_multicast, multicast_only, created, modified";

    private const string PackageVersionColumns = "package_id, version, content_id, size, source_path, image_count, created";

    private const string DistributionPointColumns = "id, url, certificate_fingerprint, is_local, registered, last_seen, health";

    private const string DistributionStatusColumns = "package_id, version, distribution_point_id, state, message, updated";

    public Task AddPackageAsync(Package package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        return WriteAsync(
            () => ExecuteAsync(
                $"""
                INSERT INTO packages (id_key, {PackageColumns})
                VALUES (@key, @id, @name, @description, @imageType, @latestVersion, @allowMulticast, @encryptMulticast, @multicastOnly, @created, @modified)
                """,
                c => BindPackage(c, package).With("@id", package.Id).With("@created", package.Created), cancellationToken),
            duplicate: () => Task.FromResult($"a package with ID '{package.Id}' already exists"),
            missing: null);
    }

    public async Task<bool> UpdatePackageAsync(Package package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        return await ExecuteAsync(
            """
            UPDATE packages SET name = @name, description = @description, image_type = @imageType, latest_version = @latestVersion,
                allow_multicast = @allowMulticast, encrypt_multicast = @encryptMulticast, multicast_only = @multicastOnly, modified = @modified
            WHERE id_key = @key
            """,
            c => BindPackage(c, package), cancellationToken).ConfigureAwait(false) == 1;
    }

    public Task<Package?> GetPackageAsync(string id, CancellationToken cancellationToken) =>
        QuerySingleAsync($"SELECT {PackageColumns} FROM packages WHERE id_key = @key", c => c.With("@key", SqlValues.Key(id)), ReadPackage, cancellationToken);

    public Task<PagedResult<Package>> ListPackagesAsync(Page page, CancellationToken cancellationToken) =>
        QueryPageAsync(PackageColumns, "FROM packages", "id_key", _ => { }, ReadPackage, page, cancellationToken);

    public Task AddPackageVersionAsync(PackageVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        return WriteAsync(
            () => ExecuteAsync(
                $"""
                INSERT INTO package_versions (package_key, {PackageVersionColumns})
                VALUES (@key, @packageId, @version, @contentId, @size, @sourcePath, @imageCount, @created)
                """,
                c => c.With("@key", SqlValues.Key(version.PackageId)).With("@packageId", version.PackageId).With("@version", version.Version)
                    .With("@contentId", version.ContentId).With("@size", version.Size).With("@sourcePath", version.SourcePath)
                    .With("@imageCount", version.ImageCount).With("@created", version.Created),
                cancellationToken),
            duplicate: () => Task.FromResult($"package '{version.PackageId}' already has version {version.Version}"),
            missing: () => Task.FromResult($"there is no package with ID '{version.PackageId}'"));
    }

    public Task<PackageVersion?> GetPackageVersionAsync(string packageId, int version, CancellationToken cancellationToken) =>
        QuerySingleAsync(
            $"SELECT {PackageVersionColumns} FROM package_versions WHERE package_key = @key AND version = @version",
            c => c.With("@key", SqlValues.Key(packageId)).With("@version", version), ReadPackageVersion, cancellationToken);

    public async Task<IReadOnlyList<PackageVersion>> ListPackageVersionsAsync(string packageId, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {PackageVersionColumns} FROM package_versions WHERE package_key = @key ORDER BY version",
            c => c.With("@key", SqlValues.Key(packageId)), ReadPackageVersion, cancellationToken).ConfigureAwait(false);

    public Task SaveDistributionPointAsync(DistributionPointRecord distributionPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(distributionPoint);
        return ExecuteAsync(
            $"""
            INSERT INTO distribution_points ({DistributionPointColumns})
            VALUES (@id, @url, @fingerprint, @isLocal, @registered, @lastSeen, @health)
            ON CONFLICT (id) DO UPDATE SET url = excluded.url, certificate_fingerprint = excluded.certificate_fingerprint,
                is_local = excluded.is_local, registered = excluded.registered, last_seen = excluded.last_seen, health = excluded.health
            """,
            c => c.With("@id", distributionPoint.Id).With("@url", distributionPoint.Url.OriginalString)
                .With("@fingerprint", distributionPoint.CertificateFingerprint).With("@isLocal", distributionPoint.IsLocal)
                .With("@registered", distributionPoint.Registered).With("@lastSeen", distributionPoint.LastSeen)
                .With("@health", HealthJson(distributionPoint.Health)),
            cancellationToken);
    }

    public async Task<bool> TouchDistributionPointAsync(string id, DateTimeOffset time, DistributionPointHealth? health, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE distribution_points SET last_seen = @lastSeen, health = COALESCE(@health, health) WHERE id = @id",
            c => c.With("@id", id).With("@lastSeen", time).With("@health", HealthJson(health)), cancellationToken).ConfigureAwait(false) == 1;

    public async Task<bool> SetDistributionPointCredentialAsync(string id, string credentialHash, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE distribution_points SET credential_hash = @hash WHERE id = @id",
            c => c.With("@id", id).With("@hash", credentialHash), cancellationToken).ConfigureAwait(false) == 1;

    public Task<DistributionPointRecord?> FindDistributionPointByCredentialAsync(string credentialHash, CancellationToken cancellationToken) =>
        QuerySingleAsync(
            $"SELECT {DistributionPointColumns} FROM distribution_points WHERE credential_hash = @hash",
            c => c.With("@hash", credentialHash), ReadDistributionPoint, cancellationToken);

    public async Task<bool> DeleteDistributionPointAsync(string id, CancellationToken cancellationToken) =>
        await ExecuteAsync("DELETE FROM distribution_points WHERE id = @id", c => c.With("@id", id), cancellationToken).ConfigureAwait(false) == 1;

    public Task<int> DeleteDistributionStatusAsync(string packageId, string distributionPointId, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "DELETE FROM distribution_status WHERE package_key = @key AND distribution_point_id = @dp",
            c => c.With("@key", SqlValues.Key(packageId)).With("@dp", distributionPointId), cancellationToken);

    public async Task<IReadOnlyList<DistributionStatus>> ListDistributionStatusOfDistributionPointAsync(string distributionPointId, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {DistributionStatusColumns} FROM distribution_status WHERE distribution_point_id = @dp ORDER BY package_key, version",
            c => c.With("@dp", distributionPointId), ReadDistributionStatus, cancellationToken).ConfigureAwait(false);

    private static string? HealthJson(DistributionPointHealth? health) =>
        health is null ? null : JsonSerializer.Serialize(health, SiteStoreJson.Default.DistributionPointHealth);

    public Task<DistributionPointRecord?> GetDistributionPointAsync(string id, CancellationToken cancellationToken) =>
        QuerySingleAsync($"SELECT {DistributionPointColumns} FROM distribution_points WHERE id = @id", c => c.With("@id", id), ReadDistributionPoint, cancellationToken);

    public async Task<IReadOnlyList<DistributionPointRecord>> ListDistributionPointsAsync(CancellationToken cancellationToken) =>
        await QueryAsync($"SELECT {DistributionPointColumns} FROM distribution_points ORDER BY id", _ => { }, ReadDistributionPoint, cancellationToken)
            .ConfigureAwait(false);

    public Task SaveDistributionStatusAsync(DistributionStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        return WriteAsync(
            () => ExecuteAsync(
                $"""
                INSERT INTO distribution_status (package_key, {DistributionStatusColumns})
                VALUES (@key, @packageId, @version, @dp, @state, @message, @updated)
                ON CONFLICT (package_key, version, distribution_point_id) DO UPDATE SET
                    state = excluded.state, message = excluded.message, updated = excluded.updated
                """,
                c => c.With("@key", SqlValues.Key(status.PackageId)).With("@packageId", status.PackageId).With("@version", status.Version)
                    .With("@dp", status.DistributionPointId).WithEnum("@state", status.State).With("@message", status.Message)
                    .With("@updated", status.Updated),
                cancellationToken),
            duplicate: null,
            missing: () => Task.FromResult(
                $"there is no version {status.Version} of package '{status.PackageId}' or no distribution point '{status.DistributionPointId}'"));
    }

    public async Task<IReadOnlyList<DistributionStatus>> ListDistributionStatusAsync(string? packageId, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"""
            SELECT {DistributionStatusColumns} FROM distribution_status
            {(packageId is null ? "" : "WHERE package_key = @key")}
            ORDER BY package_key, version, distribution_point_id
            """,
            c =>
            {
                if (packageId is not null)
                {
                    c.With("@key", SqlValues.Key(packageId));
                }
            },
            ReadDistributionStatus, cancellationToken).ConfigureAwait(false);

    private static DbCommand BindPackage(DbCommand command, Package package) =>
        command.With("@key", SqlValues.Key(package.Id)).With("@name", package.Name).With("@description", package.Description)
            .WithEnum("@imageType", package.ImageType).With("@latestVersion", package.LatestVersion)
            .With("@allowMulticast", package.AllowMulticast).With("@encryptMulticast", package.EncryptMulticast)
            .With("@multicastOnly", package.MulticastOnly).With("@modified", package.Modified);

    private static Package ReadPackage(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetNullableString(2), r.GetEnum<ImageType>(3), r.GetInt32(4),
        r.GetBoolean(5), r.GetBoolean(6), r.GetBoolean(7), r.GetTime(8), r.GetTime(9));

    private static PackageVersion ReadPackageVersion(DbDataReader r) => new(
        r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetInt64(3), r.GetString(4), r.GetNullableInt32(5), r.GetTime(6));

    private static DistributionPointRecord ReadDistributionPoint(DbDataReader r) => new(
        r.GetString(0), new Uri(r.GetString(1), UriKind.RelativeOrAbsolute), r.GetString(2), r.GetBoolean(3), r.GetTime(4), r.GetTime(5),
        r.GetNullableString(6) is { } health ? JsonSerializer.Deserialize(health, SiteStoreJson.Default.DistributionPointHealth) : null);

    private static DistributionStatus ReadDistributionStatus(DbDataReader r) => new(
        r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetEnum<DistributionState>(3), r.GetNullableString(4), r.GetTime(5));
}
