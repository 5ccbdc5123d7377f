using Deploycast.Site.Model;
using Deploycast.Site.Storage;

namespace Deploycast.Site.Tests.Storage;

public abstract partial class SiteStoreContractTests
{
    [StoreFact]
    public async Task Package_RoundTripsEveryField()
    {
        var bare = NewPackage("DC100001");
        var full = new Package("DC100002", "Data disk", "Raw image of the lab's data disk", ImageType.Raw, 7,
            AllowMulticast: false, EncryptMulticast: true, MulticastOnly: true, Time(2), Time(3));

        await Store.AddPackageAsync(bare, Ct);
        await Store.AddPackageAsync(full, Ct);

        AssertPackage(bare, await Store.GetPackageAsync("DC100001", Ct));
        AssertPackage(full, await Store.GetPackageAsync("DC100002", Ct));
        Assert.Null(await Store.GetPackageAsync("DC100003", Ct));
    }

    [StoreFact]
    public async Task Package_IsFoundWithoutRegardToCase_AndKeepsItsIdAsGiven()
    {
        await Store.AddPackageAsync(NewPackage("Dc100001"), Ct);

        Assert.Equal("Dc100001", (await Store.GetPackageAsync("dC100001", Ct))?.Id);
        var error = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.AddPackageAsync(NewPackage("DC100001", "Other"), Ct));
        Assert.Equal("a package with ID 'DC100001' already exists", error.Message);
    }

    [StoreFact]
    public async Task Package_Update_ReplacesPropertiesOrReportsMissing()
    {
        await Store.AddPackageAsync(NewPackage("DC100001"), Ct);
        var changed = new Package("dc100001", "Windows 11 24H2", "new build", ImageType.File, 2, false, true, true, Time(), Time(60));

        Assert.True(await Store.UpdatePackageAsync(changed, Ct));
        Assert.False(await Store.UpdatePackageAsync(changed with { Id = "DC199999" }, Ct));

        AssertPackage(changed with { Id = "DC100001" }, await Store.GetPackageAsync("DC100001", Ct));
        Assert.Null(await Store.GetPackageAsync("DC199999", Ct));
    }

    [StoreFact]
    public async Task Packages_ArePagedInIdOrderWithTheTotal()
    {
        foreach (var id in new[] { "DC100004", "dc100002", "DC100005", "DC100001", "DC100003" })
        {
            await Store.AddPackageAsync(NewPackage(id), Ct);
        }

        var page = await Store.ListPackagesAsync(new Page(1, 2), Ct);
        var all = await Store.ListPackagesAsync(Page.All, Ct);
        var beyond = await Store.ListPackagesAsync(new Page(10, 5), Ct);

        Assert.Equal(["dc100002", "DC100003"], page.Items.Select(p => p.Id));
        Assert.Equal(5, page.Total);
        Assert.Equal(["DC100001", "dc100002", "DC100003", "DC100004", "DC100005"], all.Items.Select(p => p.Id));
        Assert.Empty(beyond.Items);
        Assert.Equal(5, beyond.Total);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListPackagesAsync(new Page(0, 0), Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListPackagesAsync(new Page(-1, 10), Ct));
    }

    [StoreFact]
    public async Task PackageVersions_RoundTripOldestFirst_AndRefuseDuplicatesAndUnknownPackages()
    {
        await Store.AddPackageAsync(NewPackage("DC100001"), Ct);
        var v2 = new PackageVersion("DC100001", 2, new string('b', 64), 10_737_418_240, "/srv/images/lab-v2.raw", null, Time(5));
        var v1 = new PackageVersion("dc100001", 1, new string('a', 64), 4_294_967_297, "/srv/images/install.wim", 3, Time(4));

        await Store.AddPackageVersionAsync(v2, Ct);
        await Store.AddPackageVersionAsync(v1, Ct);

        var listed = await Store.ListPackageVersionsAsync("Dc100001", Ct);
        Assert.Equal([1, 2], listed.Select(v => v.Version));
        AssertPackageVersion(v1, listed[0]);
        AssertPackageVersion(v2, listed[1]);
        AssertPackageVersion(v2, await Store.GetPackageVersionAsync("dc100001", 2, Ct));
        Assert.Null(await Store.GetPackageVersionAsync("DC100001", 3, Ct));
        Assert.Empty(await Store.ListPackageVersionsAsync("DC100002", Ct));

        var duplicate = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.AddPackageVersionAsync(v1 with { ContentId = new string('c', 64) }, Ct));
        Assert.Equal("package 'dc100001' already has version 1", duplicate.Message);
        var orphan = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.AddPackageVersionAsync(v1 with { PackageId = "DC100009" }, Ct));
        Assert.Equal("there is no package with ID 'DC100009'", orphan.Message);
    }

    [StoreFact]
    public async Task DistributionPoints_AreSavedReplacedAndListedById()
    {
        var remote = new DistributionPointRecord("dp2.lab", new Uri("https://dp2.lab:8443/"), new string('f', 64), false, Time(), Time(1));
        var local = new DistributionPointRecord("local", new Uri("https://127.0.0.1:8443/"), new string('e', 64), true, Time(), Time());

        await Store.SaveDistributionPointAsync(local, Ct);
        await Store.SaveDistributionPointAsync(remote, Ct);
        var seenAgain = remote with { LastSeen = Time(30), Url = new Uri("https://dp2.lab:9443/") };
        await Store.SaveDistributionPointAsync(seenAgain, Ct);

        var listed = await Store.ListDistributionPointsAsync(Ct);
        Assert.Equal(["dp2.lab", "local"], listed.Select(d => d.Id));
        AssertDistributionPoint(seenAgain, listed[0]);
        AssertDistributionPoint(local, await Store.GetDistributionPointAsync("local", Ct));
        Assert.Null(await Store.GetDistributionPointAsync("dp3.lab", Ct));
    }

    [StoreFact]
    public async Task DistributionStatus_IsReplacedAndListedByPackageVersionAndDp()
    {
        foreach (var dp in new[] { "local", "dp2.lab" })
        {
            await Store.SaveDistributionPointAsync(new DistributionPointRecord(dp, new Uri("https://" + dp), "ff", dp == "local", Time(), Time()), Ct);
        }

        foreach (var id in new[] { "DC100002", "DC100001" })
        {
            await Store.AddPackageAsync(NewPackage(id), Ct);
            await Store.AddPackageVersionAsync(new PackageVersion(id, 1, new string('a', 64), 1, "/x", null, Time()), Ct);
        }

        await Store.SaveDistributionStatusAsync(new DistributionStatus("DC100002", 1, "local", DistributionState.Installed, null, Time(1)), Ct);
        await Store.SaveDistributionStatusAsync(new DistributionStatus("DC100001", 1, "local", DistributionState.InProgress, null, Time(1)), Ct);
        await Store.SaveDistributionStatusAsync(new DistributionStatus("DC100001", 1, "dp2.lab", DistributionState.InProgress, null, Time(1)), Ct);
        var failed = new DistributionStatus("dc100001", 1, "local", DistributionState.Failed, "block 17 does not match its hash", Time(2));
        await Store.SaveDistributionStatusAsync(failed, Ct);

        var all = await Store.ListDistributionStatusAsync(null, Ct);
        Assert.Equal(
            ["DC100001 1 dp2.lab InProgress", "DC100001 1 local Failed", "DC100002 1 local Installed"],
            all.Select(s => $"{s.PackageId} {s.Version} {s.DistributionPointId} {s.State}"));
        var one = Assert.Single(await Store.ListDistributionStatusAsync("DC100002", Ct));
        Assert.Equal(DistributionState.Installed, one.State);
        var replaced = (await Store.ListDistributionStatusAsync("Dc100001", Ct))[1];
        Assert.Equal("block 17 does not match its hash", replaced.Message);
        AssertTime(failed.Updated, replaced.Updated);

        var missing = await Assert.ThrowsAsync<SiteStoreConflictException>(() =>
            Store.SaveDistributionStatusAsync(failed with { Version = 9 }, Ct));
        Assert.Contains("no version 9 of package 'dc100001'", missing.Message, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task RegisteredDp_CredentialHealthTouchAndDelete_CascadeToItsDistributionStatus()
    {
        var health = new DistributionPointHealth(true, "198.18.0.2", "239.255.43.1-239.255.43.254", "63000-64000", 2, 5, 1);
        var dp2 = new DistributionPointRecord("dp2.lab", new Uri("https://dp2.lab:8443/"), new string('f', 64), false, Time(), Time(1), health);
        await Store.SaveDistributionPointAsync(dp2, Ct);
        await Store.SaveDistributionPointAsync(new DistributionPointRecord("dp3.lab", new Uri("https://dp3.lab:8443/"), new string('e', 64), false, Time(), Time()), Ct);
        AssertDistributionPoint(dp2, await Store.GetDistributionPointAsync("dp2.lab", Ct));
        Assert.Null((await Store.GetDistributionPointAsync("dp3.lab", Ct))!.Health);

        Assert.True(await Store.SetDistributionPointCredentialAsync("dp2.lab", new string('1', 64), Ct));
        Assert.True(await Store.SetDistributionPointCredentialAsync("dp3.lab", new string('3', 64), Ct));
        Assert.False(await Store.SetDistributionPointCredentialAsync("dp9.lab", new string('9', 64), Ct));
        Assert.Equal("dp2.lab", (await Store.FindDistributionPointByCredentialAsync(new string('1', 64), Ct))?.Id);
        Assert.True(await Store.SetDistributionPointCredentialAsync("dp2.lab", new string('2', 64), Ct));
        Assert.Null(await Store.FindDistributionPointByCredentialAsync(new string('1', 64), Ct));
        Assert.Equal("dp2.lab", (await Store.FindDistributionPointByCredentialAsync(new string('2', 64), Ct))?.Id);

        // A poll without a report keeps the last one; with one, replaces it. A re-registration (save) keeps the credential.
        Assert.True(await Store.TouchDistributionPointAsync("dp2.lab", Time(50), null, Ct));
        var touched = await Store.GetDistributionPointAsync("dp2.lab", Ct);
        AssertTime(Time(50), touched!.LastSeen);
        Assert.Equal(health, touched.Health);
        Assert.True(await Store.TouchDistributionPointAsync("dp2.lab", Time(60), health with { ActiveSessions = 0 }, Ct));
        Assert.Equal(0, (await Store.GetDistributionPointAsync("dp2.lab", Ct))!.Health!.ActiveSessions);
        Assert.False(await Store.TouchDistributionPointAsync("dp9.lab", Time(60), null, Ct));
        await Store.SaveDistributionPointAsync(dp2 with { Url = new Uri("https://dp2.lab:9443/") }, Ct);
        Assert.Equal("dp2.lab", (await Store.FindDistributionPointByCredentialAsync(new string('2', 64), Ct))?.Id);

        await Store.AddPackageAsync(NewPackage("DC100001"), Ct);
        await Store.AddPackageVersionAsync(new PackageVersion("DC100001", 1, new string('a', 64), 1, "/x", null, Time()), Ct);
        await Store.AddPackageVersionAsync(new PackageVersion("DC100001", 2, new string('b', 64), 1, "/x", null, Time()), Ct);
        foreach (var (dp, version) in new[] { ("dp2.lab", 1), ("dp2.lab", 2), ("dp3.lab", 2) })
        {
            await Store.SaveDistributionStatusAsync(new DistributionStatus("DC100001", version, dp, DistributionState.InProgress, null, Time()), Ct);
        }

        Assert.Equal([1, 2], (await Store.ListDistributionStatusOfDistributionPointAsync("dp2.lab", Ct)).Select(s => s.Version));
        Assert.Equal(2, await Store.DeleteDistributionStatusAsync("dc100001", "dp2.lab", Ct));
        Assert.Empty(await Store.ListDistributionStatusOfDistributionPointAsync("dp2.lab", Ct));
        Assert.Equal(0, await Store.DeleteDistributionStatusAsync("DC100001", "dp2.lab", Ct));

        Assert.True(await Store.DeleteDistributionPointAsync("dp3.lab", Ct));
        Assert.False(await Store.DeleteDistributionPointAsync("dp3.lab", Ct));
        Assert.Empty(await Store.ListDistributionStatusAsync("DC100001", Ct));
        Assert.Null(await Store.FindDistributionPointByCredentialAsync(new string('3', 64), Ct));
    }

    [StoreFact]
    public async Task Settings_ListByPrefixAndDelete()
    {
        await Store.SetSettingAsync("dp-registration-token:aa", "1", Ct);
        await Store.SetSettingAsync("dp-registration-token:bb", "2", Ct);
        await Store.SetSettingAsync("dp-registration-tokens", "not in the prefix", Ct);
        await Store.SetSettingAsync("dp-registration-token_x", "not in the prefix either", Ct);
        await Store.SetSettingAsync("approval", "Manual", Ct);

        var listed = await Store.ListSettingsAsync("dp-registration-token:", Ct);
        Assert.Equal(["dp-registration-token:aa=1", "dp-registration-token:bb=2"], listed.Select(p => $"{p.Key}={p.Value}"));
        Assert.True(await Store.DeleteSettingAsync("dp-registration-token:aa", Ct));
        Assert.False(await Store.DeleteSettingAsync("dp-registration-token:aa", Ct));
        Assert.Null(await Store.GetSettingAsync("dp-registration-token:aa", Ct));
        Assert.Single(await Store.ListSettingsAsync("dp-registration-token:", Ct));
    }

    private static void AssertPackage(Package expected, Package? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        AssertTime(expected.Created, actual.Created);
        AssertTime(expected.Modified, actual.Modified);
    }

    private static void AssertPackageVersion(PackageVersion expected, PackageVersion? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        AssertTime(expected.Created, actual.Created);
    }

    private static void AssertDistributionPoint(DistributionPointRecord expected, DistributionPointRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        AssertTime(expected.Registered, actual.Registered);
        AssertTime(expected.LastSeen, actual.LastSeen);
    }
}
