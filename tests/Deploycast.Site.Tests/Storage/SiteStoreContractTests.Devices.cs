using Deploycast.Site.Model;
using Deploycast.Site.Storage;

namespace Deploycast.Site.Tests.Storage;

public abstract partial class SiteStoreContractTests
{
    private static readonly Guid Uuid1 = Guid.Parse("4c4c4544-0042-3510-8052-b4c04f4b4e31");
    private static readonly Guid Uuid2 = Guid.Parse("d1b7a1b0-2f6e-4e3a-9a1c-0e8f6a2b9c77");

    protected static Device NewDevice(string name, params string[] macs) =>
        new(0, name, macs, null, DeviceApproval.Pending, IsUnknown: true, null, Time(), null);

    [StoreFact]
    public async Task Device_RoundTripsEveryField_WithTheIdTheStoreGave()
    {
        var bare = NewDevice("MININT-1") with { Id = 12345, MacAddresses = [] };
        var full = new Device(0, "LAB-PC-07", ["00:15:5d:01:02:03", "00:15:5d:0a:0b:0c"], Uuid1, DeviceApproval.Approved,
            IsUnknown: false, "198.18.4.7", Time(1), Time(2));

        var addedBare = await Store.AddDeviceAsync(bare, Ct);
        var addedFull = await Store.AddDeviceAsync(full, Ct);

        Assert.NotEqual(12345, addedBare.Id);
        Assert.True(addedFull.Id > addedBare.Id);
        Assert.Equal(bare with { Id = addedBare.Id, MacAddresses = addedBare.MacAddresses }, addedBare);
        AssertDevice(bare with { Id = addedBare.Id }, await Store.GetDeviceAsync(addedBare.Id, Ct));
        AssertDevice(full with { Id = addedFull.Id }, await Store.GetDeviceAsync(addedFull.Id, Ct));
        Assert.Null(await Store.GetDeviceAsync(addedFull.Id + 1, Ct));
    }

    [StoreFact]
    public async Task Device_ApprovalAndContact_ChangeOnlyTheirOwnColumns()
    {
        var added = await Store.AddDeviceAsync(
            new Device(0, "LAB-PC-08", ["00:15:5d:01:02:08"], Uuid1, DeviceApproval.Pending, IsUnknown: false, "198.18.4.8", Time(1), null), Ct);

        Assert.True(await Store.SetDeviceApprovalAsync(added.Id, DeviceApproval.Blocked, Ct));
        Assert.True(await Store.TouchDeviceAsync(added.Id, Time(5), null, Ct));
        AssertDevice(added with { Approval = DeviceApproval.Blocked, LastContact = Time(5) }, await Store.GetDeviceAsync(added.Id, Ct));

        Assert.True(await Store.TouchDeviceAsync(added.Id, Time(6), "198.18.4.9", Ct));
        AssertDevice(added with { Approval = DeviceApproval.Blocked, LastContact = Time(6), IPv4Address = "198.18.4.9" }, await Store.GetDeviceAsync(added.Id, Ct));
        Assert.False(await Store.SetDeviceApprovalAsync(added.Id + 100, DeviceApproval.Approved, Ct));
        Assert.False(await Store.TouchDeviceAsync(added.Id + 100, Time(7), null, Ct));
    }

    [StoreFact]
    public async Task Device_IdsOfDeletedDevicesAreNotGivenAgain()
    {
        var first = await Store.AddDeviceAsync(NewDevice("A"), Ct);
        var second = await Store.AddDeviceAsync(NewDevice("B"), Ct);
        Assert.True(await Store.DeleteDeviceAsync(second.Id, Ct));

        var third = await Store.AddDeviceAsync(NewDevice("C"), Ct);

        Assert.True(third.Id > second.Id, $"device ids {first.Id}, {second.Id} (deleted), then {third.Id}");
    }

    [StoreFact]
    public async Task Device_Update_ReplacesTheRecordAndItsMacAddresses()
    {
        var device = await Store.AddDeviceAsync(NewDevice("MININT-1", "00:15:5d:00:00:01"), Ct);
        var changed = device with
        {
            Name = "LAB-PC-01",
            MacAddresses = ["00:15:5d:00:00:02"],
            SmbiosUuid = Uuid2,
            Approval = DeviceApproval.Blocked,
            IsUnknown = false,
            IPv4Address = "198.18.4.1",
            LastContact = Time(9),
        };

        Assert.True(await Store.UpdateDeviceAsync(changed, Ct));
        Assert.False(await Store.UpdateDeviceAsync(changed with { Id = device.Id + 100 }, Ct));

        AssertDevice(changed, await Store.GetDeviceAsync(device.Id, Ct));
        Assert.Empty(await Store.FindDevicesAsync(["00:15:5d:00:00:01"], null, Ct));
        Assert.Equal([device.Id], (await Store.FindDevicesAsync(["00:15:5d:00:00:02"], null, Ct)).Select(d => d.Id));
    }

    [StoreFact]
    public async Task Device_MacAddressBelongsToOneDevice_EvenWhenTwoStoresAddItAtOnce()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => Track(CreateStore())).ToList();

        var attempts = await Task.WhenAll(stores.Select(async (store, i) =>
        {
            try
            {
                return (Device: await store.AddDeviceAsync(NewDevice($"MININT-{i}", "00:15:5d:00:00:01", $"00:15:5d:00:01:0{i}"), Ct), Error: (string?)null);
            }
            catch (SiteStoreConflictException e)
            {
                return (Device: (Device?)null, Error: e.Message);
            }
        }));

        var winner = Assert.Single(attempts, a => a.Device is not null).Device!;
        Assert.All(attempts.Where(a => a.Device is null), a =>
            Assert.Equal($"MAC address 00:15:5d:00:00:01 already belongs to device {winner.Id} '{winner.Name}'", a.Error));
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM devices"));
        Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM device_macs"));

        var other = await Store.AddDeviceAsync(NewDevice("LAB-2", "00:15:5d:00:00:02"), Ct);
        var taken = await Assert.ThrowsAsync<SiteStoreConflictException>(() =>
            Store.UpdateDeviceAsync(other with { MacAddresses = ["00:15:5d:00:00:02", "00-15-5D-00-00-01"] }, Ct));
        Assert.Contains("00:15:5d:00:00:01 already belongs to device", taken.Message, StringComparison.Ordinal);
        Assert.Equal(["00:15:5d:00:00:02"], (await Store.GetDeviceAsync(other.Id, Ct))!.MacAddresses);
    }

    [StoreFact]
    public async Task Migrate_ToUniqueMacs_KeepsEachDuplicateMacOnTheOldestDevice()
    {
        var older = await Store.AddDeviceAsync(NewDevice("OLD", "00:15:5d:00:00:01"), Ct);
        var newer = await Store.AddDeviceAsync(NewDevice("NEW", "00:15:5d:00:00:02"), Ct);

        // The database as schema version 2 left it: the index not unique, and a MAC address on two devices.
        await ExecuteScalarAsync("DROP INDEX device_macs_mac");
        await ExecuteScalarAsync("CREATE INDEX device_macs_mac ON device_macs (mac)");
        await ExecuteScalarAsync($"INSERT INTO device_macs (device_id, mac) VALUES ({newer.Id}, '00:15:5d:00:00:01')");
        await ExecuteScalarAsync("DELETE FROM schema_version WHERE version = 3");
        var upgraded = Track(CreateStore());

        await upgraded.MigrateAsync(Ct);

        Assert.Equal(SchemaMigrations.Latest, await upgraded.GetSchemaVersionAsync(Ct));
        Assert.Equal([older.Id], (await upgraded.FindDevicesAsync(["00:15:5d:00:00:01"], null, Ct)).Select(d => d.Id));
        Assert.Equal([newer.Id], (await upgraded.FindDevicesAsync(["00:15:5d:00:00:02"], null, Ct)).Select(d => d.Id));
        await Assert.ThrowsAsync<SiteStoreConflictException>(() => upgraded.AddDeviceAsync(NewDevice("THIRD", "00:15:5d:00:00:02"), Ct));
    }

    [StoreFact]
    public async Task FindDevices_MatchesAnyMacAddressOrTheUuid()
    {
        var a = await Store.AddDeviceAsync(NewDevice("A", "00:15:5d:00:00:0a", "00:15:5d:00:00:aa"), Ct);
        var b = await Store.AddDeviceAsync(NewDevice("B", "00:15:5d:00:00:0b") with { SmbiosUuid = Uuid1 }, Ct);
        var c = await Store.AddDeviceAsync(NewDevice("C", "00:15:5d:00:00:0c", "00:15:5d:00:00:cc"), Ct);

        Assert.Equal([a.Id], await FoundAsync(["00:15:5d:00:00:0a"], null));
        Assert.Equal([a.Id], await FoundAsync(["00:15:5d:00:00:AA"], null));
        Assert.Equal([a.Id, c.Id], await FoundAsync(["00:15:5d:00:00:AA", "00-15-5d-00-00-cc"], null));
        Assert.Equal([a.Id, b.Id], await FoundAsync(["00:15:5d:00:00:0a", "ff:ff:ff:ff:ff:ff"], Uuid1));
        Assert.Equal([b.Id], await FoundAsync([], Uuid1));
        Assert.Empty(await FoundAsync(["00:15:5d:00:00:0d"], Uuid2));
        Assert.Empty(await FoundAsync([], null));

        async Task<IEnumerable<long>> FoundAsync(string[] macs, Guid? uuid) =>
            (await Store.FindDevicesAsync(macs, uuid, Ct)).Select(d => d.Id);
    }

    [StoreFact]
    public async Task Devices_ArePagedInIdOrderWithTheTotal()
    {
        var ids = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add((await Store.AddDeviceAsync(NewDevice($"PC-{i}"), Ct)).Id);
        }

        var page = await Store.ListDevicesAsync(new Page(2, 3), Ct);

        Assert.Equal(ids.Skip(2).Take(3), page.Items.Select(d => d.Id));
        Assert.Equal(["PC-2", "PC-3", "PC-4"], page.Items.Select(d => d.Name));
        Assert.Equal(7, page.Total);
    }

    [StoreFact]
    public async Task Credential_IsSetReplacedAndFoundByItsHash()
    {
        var a = await Store.AddDeviceAsync(NewDevice("A"), Ct);
        var b = await Store.AddDeviceAsync(NewDevice("B"), Ct);

        await Store.SetDeviceCredentialAsync(a.Id, "hash-1", Ct);
        Assert.Equal("A", (await Store.FindDeviceByCredentialAsync("hash-1", Ct))?.Name);

        await Store.SetDeviceCredentialAsync(a.Id, "hash-2", Ct);
        Assert.Null(await Store.FindDeviceByCredentialAsync("hash-1", Ct));
        Assert.Equal(a.Id, (await Store.FindDeviceByCredentialAsync("hash-2", Ct))?.Id);
        Assert.Null(await Store.FindDeviceByCredentialAsync("HASH-2", Ct));

        var taken = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.SetDeviceCredentialAsync(b.Id, "hash-2", Ct));
        Assert.Equal("another device already has this credential", taken.Message);
        var missing = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.SetDeviceCredentialAsync(b.Id + 1, "hash-3", Ct));
        Assert.Equal($"there is no device {b.Id + 1}", missing.Message);
    }

    [StoreFact]
    public async Task DeleteDevice_RemovesItsCredentialMacsMembershipsAndDeploymentStates_ButNotItsStatusMessages()
    {
        var device = await Store.AddDeviceAsync(NewDevice("A", "00:15:5d:00:00:0a") with { SmbiosUuid = Uuid1 }, Ct);
        var other = await Store.AddDeviceAsync(NewDevice("B", "00:15:5d:00:00:0b"), Ct);
        await Store.SetDeviceCredentialAsync(device.Id, "hash-a", Ct);
        await AddDeploymentToAsync("DC200001", "DC400001");
        await Store.AddCollectionMemberAsync("DC200001", device.Id, Ct);
        await Store.AddCollectionMemberAsync("DC200001", other.Id, Ct);
        await Store.SaveDeploymentDeviceStateAsync(NewState("DC400001", device.Id), Ct);
        await Store.SaveDeploymentDeviceStateAsync(NewState("DC400001", other.Id), Ct);
        await Store.AddStatusMessageAsync(NewStatus(1) with { DeviceId = device.Id }, Ct);

        Assert.True(await Store.DeleteDeviceAsync(device.Id, Ct));
        Assert.False(await Store.DeleteDeviceAsync(device.Id, Ct));

        Assert.Null(await Store.GetDeviceAsync(device.Id, Ct));
        Assert.Null(await Store.FindDeviceByCredentialAsync("hash-a", Ct));
        Assert.Empty(await Store.FindDevicesAsync(["00:15:5d:00:00:0a"], Uuid1, Ct));
        Assert.Equal([other.Id], await Store.ListCollectionMembersAsync("DC200001", Ct));
        Assert.Empty(await Store.ListDirectCollectionsOfDeviceAsync(device.Id, Ct));
        Assert.Null(await Store.GetDeploymentDeviceStateAsync("DC400001", device.Id, Ct));
        Assert.Equal([other.Id], (await Store.ListDeploymentDeviceStatesAsync("DC400001", Ct)).Select(s => s.DeviceId));
        Assert.Equal(1, (await Store.ListStatusMessagesAsync(new StatusMessageFilter(DeviceId: device.Id), Page.Default, Ct)).Total);
        Assert.Equal(0, await CountAsync($"SELECT COUNT(*) FROM device_macs WHERE device_id = {device.Id}"));
    }

    private static void AssertDevice(Device expected, Device? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.MacAddresses, actual.MacAddresses);
        Assert.Equal(expected with { MacAddresses = actual.MacAddresses }, actual);
        AssertTime(expected.Created, actual.Created);
        AssertTime(expected.LastContact, actual.LastContact);
    }
}
