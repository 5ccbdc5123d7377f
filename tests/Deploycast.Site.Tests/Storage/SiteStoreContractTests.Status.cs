using Deploycast.Site.Model;
using Deploycast.Site.Storage;

namespace Deploycast.Site.Tests.Storage;

public abstract partial class SiteStoreContractTests
{
    protected static StatusMessage NewStatus(int minutes) =>
        new(0, Time(minutes), StatusSource.Agent, 11140, StatusSeverity.Informational, "TSManager", $"at minute {minutes}");

    protected static DeploymentDeviceState NewState(string deploymentId, long deviceId) =>
        new(deploymentId, deviceId, DeploymentState.InProgress, 0, "Apply Operating System", 12, "Downloading by multicast", Time());

    [StoreFact]
    public async Task StatusMessage_RoundTripsEveryField_WithANewId()
    {
        var bare = NewStatus(0) with { Id = 999 };
        var full = new StatusMessage(0, Time(1), StatusSource.DistributionPoint, 11171, StatusSeverity.Error, "Download",
            "The task sequence failed to download content by multicast", DeviceId: 42, DeploymentId: "DC400001",
            DistributionPointId: "dp2.lab", Step: 3, StepName: "Apply Data Image", Progress: 100);

        var addedBare = await Store.AddStatusMessageAsync(bare, Ct);
        var addedFull = await Store.AddStatusMessageAsync(full, Ct);

        Assert.NotEqual(999, addedBare.Id);
        Assert.NotEqual(addedBare.Id, addedFull.Id);
        var listed = (await Store.ListStatusMessagesAsync(new StatusMessageFilter(), Page.Default, Ct)).Items;
        Assert.Equal(2, listed.Count);
        AssertStatus(full with { Id = addedFull.Id }, listed[0]);
        AssertStatus(bare with { Id = addedBare.Id }, listed[1]);
    }

    [StoreFact]
    public async Task StatusMessages_AreFilteredNewestFirstAndPaged()
    {
        var other = NewStatus(5);
        var messages = new[]
        {
            NewStatus(1) with { DeviceId = 1, DeploymentId = "DC400001" },
            NewStatus(3) with { DeviceId = 1, DeploymentId = "dc400001", DistributionPointId = "local" },
            NewStatus(2) with { DeviceId = 2, DeploymentId = "DC400001" },
            NewStatus(3) with { DeviceId = 2, DeploymentId = "DC400002", DistributionPointId = "local" },
            other,
        };
        var ids = new List<long>();
        foreach (var message in messages)
        {
            ids.Add((await Store.AddStatusMessageAsync(message, Ct)).Id);
        }

        // Newest first; two messages of one time come newest-stored first.
        Assert.Equal([ids[4], ids[3], ids[1], ids[2], ids[0]], await ListedAsync(new StatusMessageFilter()));
        Assert.Equal([ids[1], ids[0]], await ListedAsync(new StatusMessageFilter(DeviceId: 1)));
        Assert.Equal([ids[1], ids[2], ids[0]], await ListedAsync(new StatusMessageFilter(DeploymentId: "Dc400001")));
        Assert.Equal([ids[3], ids[1]], await ListedAsync(new StatusMessageFilter(DistributionPointId: "local")));
        Assert.Equal([ids[4], ids[3], ids[1]], await ListedAsync(new StatusMessageFilter(Since: Time(3))));
        Assert.Equal([ids[3]], await ListedAsync(new StatusMessageFilter(DeviceId: 2, DistributionPointId: "local", Since: Time(2))));
        Assert.Empty(await ListedAsync(new StatusMessageFilter(DeviceId: 3)));

        var page = await Store.ListStatusMessagesAsync(new StatusMessageFilter(DeploymentId: "DC400001"), new Page(1, 1), Ct);
        Assert.Equal([ids[2]], page.Items.Select(m => m.Id));
        Assert.Equal(3, page.Total);

        async Task<IEnumerable<long>> ListedAsync(StatusMessageFilter filter) =>
            (await Store.ListStatusMessagesAsync(filter, Page.Default, Ct)).Items.Select(m => m.Id);
    }

    [StoreFact]
    public async Task DeploymentDeviceState_IsAddedReplacedAndListedByDevice()
    {
        await AddDeploymentToAsync("DC200001", "DC400001");
        var b = await Store.AddDeviceAsync(NewDevice("B"), Ct);
        var a = await Store.AddDeviceAsync(NewDevice("A"), Ct);
        var bare = new DeploymentDeviceState("DC400001", a.Id, DeploymentState.Unknown, null, null, null, null, Time());
        var running = NewState("dc400001", b.Id);

        await Store.SaveDeploymentDeviceStateAsync(running, Ct);
        await Store.SaveDeploymentDeviceStateAsync(bare, Ct);
        AssertState(running, await Store.GetDeploymentDeviceStateAsync("DC400001", b.Id, Ct));
        AssertState(bare, await Store.GetDeploymentDeviceStateAsync("DC400001", a.Id, Ct));

        var done = running with { State = DeploymentState.Success, Step = 4, StepName = "Restart", Progress = 100, Message = "Done", Updated = Time(30) };
        await Store.SaveDeploymentDeviceStateAsync(done, Ct);

        var listed = await Store.ListDeploymentDeviceStatesAsync("DC400001", Ct);
        Assert.Equal([b.Id, a.Id], listed.Select(s => s.DeviceId));
        AssertState(done, listed[0]);
        Assert.Null(await Store.GetDeploymentDeviceStateAsync("DC400002", a.Id, Ct));

        var noDeployment = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.SaveDeploymentDeviceStateAsync(bare with { DeploymentId = "DC409999" }, Ct));
        Assert.Equal("there is no deployment with ID 'DC409999'", noDeployment.Message);
        var noDevice = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.SaveDeploymentDeviceStateAsync(bare with { DeviceId = a.Id + 5 }, Ct));
        Assert.Equal($"there is no device {a.Id + 5}", noDevice.Message);
    }

    private static void AssertStatus(StatusMessage expected, StatusMessage actual)
    {
        Assert.Equal(expected, actual);
        AssertTime(expected.Time, actual.Time);
    }

    private static void AssertState(DeploymentDeviceState expected, DeploymentDeviceState? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        AssertTime(expected.Updated, actual.Updated);
    }
}
