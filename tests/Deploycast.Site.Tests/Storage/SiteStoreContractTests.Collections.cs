using Deploycast.Site.Model;
using Deploycast.Site.Storage;

namespace Deploycast.Site.Tests.Storage;

public abstract partial class SiteStoreContractTests
{
    [StoreFact]
    public async Task Collection_RoundTripsEveryField()
    {
        var bare = NewCollection("DCS00001", "All Systems");
        var full = new Collection("DC200001", "Lab 4", "Imaging lab, room 4",
            [
                new CollectionRule(CollectionRuleKind.NamePattern, "LAB4-*"),
                new CollectionRule(CollectionRuleKind.MacPrefix, "00:15:5d"),
                new CollectionRule(CollectionRuleKind.IPv4Subnet, "198.18.4.0/24"),
            ],
            Time(7));

        await Store.AddCollectionAsync(bare, Ct);
        await Store.AddCollectionAsync(full, Ct);

        AssertCollection(bare, await Store.GetCollectionAsync("DCS00001", Ct));
        AssertCollection(full, await Store.GetCollectionAsync("dc200001", Ct));
        Assert.Null(await Store.GetCollectionAsync("DC200002", Ct));
    }

    [StoreFact]
    public async Task Collection_IdsAndNamesClashWithoutRegardToCase()
    {
        await Store.AddCollectionAsync(NewCollection("DC200001", "Lab"), Ct);

        var sameId = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.AddCollectionAsync(NewCollection("dc200001", "Other"), Ct));
        var sameName = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.AddCollectionAsync(NewCollection("DC200002", "LAB"), Ct));

        Assert.Equal("a collection with ID 'dc200001' already exists", sameId.Message);
        Assert.Equal("a collection named 'LAB' already exists", sameName.Message);
        Assert.Equal(1, (await Store.ListCollectionsAsync(Page.Default, Ct)).Total);
    }

    [StoreFact]
    public async Task Collection_Update_ReplacesNameDescriptionAndRules_AndRefusesAnotherCollectionsName()
    {
        await Store.AddCollectionAsync(NewCollection("DC200001", "Lab"), Ct);
        await Store.AddCollectionAsync(NewCollection("DC200002", "Office"), Ct);
        var renamed = new Collection("DC200001", "Lab 4", "room 4", [new CollectionRule(CollectionRuleKind.MacPrefix, "00:15:5d")], Time());

        Assert.True(await Store.UpdateCollectionAsync(renamed, Ct));
        Assert.True(await Store.UpdateCollectionAsync(renamed with { Name = "LAB 4" }, Ct));
        Assert.False(await Store.UpdateCollectionAsync(renamed with { Id = "DC209999", Name = "Nowhere" }, Ct));
        var clash = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.UpdateCollectionAsync(renamed with { Name = "office" }, Ct));

        Assert.Equal("a collection named 'office' already exists", clash.Message);
        AssertCollection(renamed with { Name = "LAB 4" }, await Store.GetCollectionAsync("DC200001", Ct));
        Assert.Equal("Office", (await Store.GetCollectionAsync("DC200002", Ct))?.Name);
    }

    [StoreFact]
    public async Task Collections_ArePagedInIdOrderWithTheTotal()
    {
        foreach (var id in new[] { "DC200003", "DCS00001", "DC200001", "DC200002" })
        {
            await Store.AddCollectionAsync(NewCollection(id, "name of " + id), Ct);
        }

        var page = await Store.ListCollectionsAsync(new Page(0, 3), Ct);

        Assert.Equal(["DC200001", "DC200002", "DC200003"], page.Items.Select(c => c.Id));
        Assert.Equal(4, page.Total);
    }

    [StoreFact]
    public async Task Members_AreAddedOnceRemovedAndListedBothWays()
    {
        await Store.AddCollectionAsync(NewCollection("DC200001", "Lab"), Ct);
        await Store.AddCollectionAsync(NewCollection("DC200002", "Office"), Ct);
        var a = await Store.AddDeviceAsync(NewDevice("A"), Ct);
        var b = await Store.AddDeviceAsync(NewDevice("B"), Ct);

        await Store.AddCollectionMemberAsync("DC200001", b.Id, Ct);
        await Store.AddCollectionMemberAsync("DC200001", a.Id, Ct);
        await Store.AddCollectionMemberAsync("dc200001", a.Id, Ct);
        await Store.AddCollectionMemberAsync("DC200002", a.Id, Ct);

        Assert.Equal([a.Id, b.Id], await Store.ListCollectionMembersAsync("Dc200001", Ct));
        Assert.Equal(["DC200001", "DC200002"], await Store.ListDirectCollectionsOfDeviceAsync(a.Id, Ct));

        Assert.True(await Store.RemoveCollectionMemberAsync("DC200001", a.Id, Ct));
        Assert.False(await Store.RemoveCollectionMemberAsync("DC200001", a.Id, Ct));
        Assert.Equal([b.Id], await Store.ListCollectionMembersAsync("DC200001", Ct));
        Assert.Equal(["DC200002"], await Store.ListDirectCollectionsOfDeviceAsync(a.Id, Ct));
        Assert.Empty(await Store.ListCollectionMembersAsync("DC209999", Ct));

        var noDevice = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.AddCollectionMemberAsync("DC200001", b.Id + 10, Ct));
        Assert.Equal($"there is no device {b.Id + 10}", noDevice.Message);
        var noCollection = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.AddCollectionMemberAsync("DC209999", a.Id, Ct));
        Assert.Equal("there is no collection with ID 'DC209999'", noCollection.Message);
    }

    [StoreFact]
    public async Task DeleteCollection_RemovesItsMemberships_AndIsRefusedWhileItHasDeployments()
    {
        await AddDeploymentToAsync("DC200001", "DC400001");
        await Store.AddCollectionAsync(NewCollection("DC200002", "Office"), Ct);
        var device = await Store.AddDeviceAsync(NewDevice("A"), Ct);
        await Store.AddCollectionMemberAsync("DC200001", device.Id, Ct);
        await Store.AddCollectionMemberAsync("DC200002", device.Id, Ct);

        var refused = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.DeleteCollectionAsync("DC200001", Ct));
        Assert.Equal("collection 'DC200001' has deployments; delete them first", refused.Message);

        Assert.True(await Store.DeleteCollectionAsync("dc200002", Ct));
        Assert.False(await Store.DeleteCollectionAsync("DC200002", Ct));
        Assert.Null(await Store.GetCollectionAsync("DC200002", Ct));
        Assert.Equal(["DC200001"], await Store.ListDirectCollectionsOfDeviceAsync(device.Id, Ct));

        // The name is free again.
        await Store.AddCollectionAsync(NewCollection("DC200003", "OFFICE"), Ct);
        Assert.Empty(await Store.ListCollectionMembersAsync("DC200003", Ct));
    }

    private static void AssertCollection(Collection expected, Collection? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Rules, actual.Rules);
        Assert.Equal(expected with { Rules = actual.Rules }, actual);
        AssertTime(expected.Created, actual.Created);
    }
}
