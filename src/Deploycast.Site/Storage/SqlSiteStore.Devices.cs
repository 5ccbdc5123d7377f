using System.Data.Common;
using System.Text.Json;
using Deploycast.Site.Model;

namespace Deploycast.Site.Storage;

internal abstract partial class SqlSiteStore
{
    private const string DeviceColumns = "id, name, mac_addresses, smbios_uuid, approval, is_unknown, ipv4_address, created, last_contact";

    private static string DeviceColumnsOf(string alias) =>
        string.Join(", ", DeviceColumns.Split(", ").Select(column => alias + "." + column));

    public Task<Device> AddDeviceAsync(Device device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(device.MacAddresses);
        return WriteAsync(() => InWriteTransactionAsync(
            async (connection, transaction) =>
            {
                long id;
                await using (var insert = Command(connection, transaction,
                    """
                    INSERT INTO devices (name, mac_addresses, smbios_uuid, approval, is_unknown, ipv4_address, created, last_contact)
                    VALUES (@name, @macs, @uuid, @approval, @isUnknown, @ip, @created, @lastContact)
                    RETURNING id
                    """))
                {
                    BindDevice(insert, device).With("@created", device.Created);
                    id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                }

                await InsertMacsAsync(connection, transaction, id, device.MacAddresses, cancellationToken).ConfigureAwait(false);
                return device with { Id = id };
            },
            cancellationToken),
            duplicate: () => MacClashAsync(device, cancellationToken),
            missing: null);
    }

    /// <summary>What a write that broke the unique index on <c>device_macs.mac</c> clashed with, for its message.</summary>
    private async Task<string> MacClashAsync(Device device, CancellationToken cancellationToken)
    {
        var holders = await FindDevicesAsync(device.MacAddresses, null, cancellationToken).ConfigureAwait(false);
        var other = holders.FirstOrDefault(d => d.Id != device.Id);
        var mac = other?.MacAddresses.Select(SqlValues.MacKey).Intersect(device.MacAddresses.Select(SqlValues.MacKey)).FirstOrDefault();
        return other is null
            ? $"a MAC address of '{device.Name}' was given to another device at the same time"
            : $"MAC address {mac} already belongs to device {other.Id} '{other.Name}'";
    }

    public Task<bool> UpdateDeviceAsync(Device device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(device.MacAddresses);
        return WriteAsync(() => InWriteTransactionAsync(
            async (connection, transaction) =>
            {
                await using (var update = Command(connection, transaction,
                    """
                    UPDATE devices SET name = @name, mac_addresses = @macs, smbios_uuid = @uuid, approval = @approval,
                        is_unknown = @isUnknown, ipv4_address = @ip, last_contact = @lastContact
                    WHERE id = @id
                    """))
                {
                    BindDevice(update, device).With("@id", device.Id);
                    if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                    {
                        return false;
                    }
                }

                await using (var delete = Command(connection, transaction, "DELETE FROM device_macs WHERE device_id = @id"))
                {
                    await delete.With("@id", device.Id).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await InsertMacsAsync(connection, transaction, device.Id, device.MacAddresses, cancellationToken).ConfigureAwait(false);
                return true;
            },
            cancellationToken),
            duplicate: () => MacClashAsync(device, cancellationToken),
            missing: null);
    }

    public Task<Device?> GetDeviceAsync(long id, CancellationToken cancellationToken) =>
        QuerySingleAsync($"SELECT {DeviceColumns} FROM devices WHERE id = @id", c => c.With("@id", id), ReadDevice, cancellationToken);

    public async Task<IReadOnlyList<Device>> FindDevicesAsync(IReadOnlyCollection<string> macAddresses, Guid? smbiosUuid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(macAddresses);
        var macs = macAddresses.Select(SqlValues.MacKey).Distinct(StringComparer.Ordinal).ToList();
        if (macs.Count == 0 && smbiosUuid is null)
        {
            return [];
        }

        var macNames = SqlValues.ParameterNames("mac", macs.Count);
        // One id list from a UNION, so each side uses its index (an OR of the two made PostgreSQL read every device).
        var sources = new List<string>(2);
        if (macs.Count > 0)
        {
            sources.Add($"SELECT device_id FROM device_macs WHERE mac IN ({string.Join(", ", macNames)})");
        }

        if (smbiosUuid is not null)
        {
            sources.Add("SELECT id FROM devices WHERE smbios_uuid = @uuid");
        }

        return await QueryAsync(
            $"SELECT {DeviceColumns} FROM devices WHERE id IN ({string.Join(" UNION ", sources)}) ORDER BY id",
            c =>
            {
                c.WithList(macNames, macs);
                if (smbiosUuid is not null)
                {
                    c.With("@uuid", smbiosUuid);
                }
            },
            ReadDevice, cancellationToken).ConfigureAwait(false);
    }

    public Task<PagedResult<Device>> ListDevicesAsync(Page page, CancellationToken cancellationToken) =>
        QueryPageAsync(DeviceColumns, "FROM devices", "id", _ => { }, ReadDevice, page, cancellationToken);

    public async Task<bool> DeleteDeviceAsync(long id, CancellationToken cancellationToken) =>
        // Credential, MAC rows, memberships and deployment states go with it (ON DELETE CASCADE); status messages stay.
        await ExecuteAsync("DELETE FROM devices WHERE id = @id", c => c.With("@id", id), cancellationToken).ConfigureAwait(false) == 1;

    public Task SetDeviceCredentialAsync(long deviceId, string credentialHash, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(credentialHash);
        return WriteAsync(
            () => ExecuteAsync(
                """
                INSERT INTO device_credentials (device_id, credential_hash) VALUES (@id, @hash)
                ON CONFLICT (device_id) DO UPDATE SET credential_hash = excluded.credential_hash
                """,
                c => c.With("@id", deviceId).With("@hash", credentialHash), cancellationToken),
            duplicate: () => Task.FromResult("another device already has this credential"),
            missing: () => Task.FromResult($"there is no device {deviceId}"));
    }

    public Task<Device?> FindDeviceByCredentialAsync(string credentialHash, CancellationToken cancellationToken) =>
        QuerySingleAsync(
            $"SELECT {DeviceColumnsOf("d")} FROM devices d JOIN device_credentials k ON k.device_id = d.id WHERE k.credential_hash = @hash",
            c => c.With("@hash", credentialHash), ReadDevice, cancellationToken);

    private static async Task InsertMacsAsync(
        DbConnection connection, DbTransaction transaction, long deviceId, IEnumerable<string> macAddresses, CancellationToken cancellationToken)
    {
        foreach (var mac in macAddresses.Select(SqlValues.MacKey).Distinct(StringComparer.Ordinal))
        {
            await using var insert = Command(connection, transaction, "INSERT INTO device_macs (device_id, mac) VALUES (@id, @mac)");
            await insert.With("@id", deviceId).With("@mac", mac).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<bool> SetDeviceApprovalAsync(long id, DeviceApproval approval, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE devices SET approval = @approval WHERE id = @id",
            command => command.WithEnum("@approval", approval).With("@id", id), cancellationToken).ConfigureAwait(false) > 0;

    public async Task<bool> TouchDeviceAsync(long id, DateTimeOffset time, string? ipv4Address, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE devices SET last_contact = @time, ipv4_address = COALESCE(@ip, ipv4_address) WHERE id = @id",
            command => command.With("@time", time).With("@ip", ipv4Address).With("@id", id), cancellationToken).ConfigureAwait(false) > 0;

    private static DbCommand BindDevice(DbCommand command, Device device) =>
        command.With("@name", device.Name).With("@macs", JsonSerializer.Serialize(device.MacAddresses, SiteStoreJson.Default.IReadOnlyListString))
            .With("@uuid", device.SmbiosUuid).WithEnum("@approval", device.Approval).With("@isUnknown", device.IsUnknown)
            .With("@ip", device.IPv4Address).With("@lastContact", device.LastContact);

    private static Device ReadDevice(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), JsonSerializer.Deserialize(r.GetString(2), SiteStoreJson.Default.IReadOnlyListString) ?? [],
        r.GetNullableGuid(3), r.GetEnum<DeviceApproval>(4), r.GetBoolean(5), r.GetNullableString(6), r.GetTime(7), r.GetNullableTime(8));
}
