using Deploycast.Site.Model;
using Deploycast.Site.Storage;

namespace Deploycast.Site.Tests.Storage;

public abstract partial class SiteStoreContractTests
{
    protected static TaskSequence NewTaskSequence(string id) => new(id, "Deploy Windows", null, [], Time(), Time());

    /// <summary>Adds a collection, a task sequence and a deployment of it to the collection.</summary>
    protected async Task<Deployment> AddDeploymentToAsync(string collectionId, string deploymentId)
    {
        if (await Store.GetCollectionAsync(collectionId, Ct) is null)
        {
            await Store.AddCollectionAsync(NewCollection(collectionId, "name of " + collectionId), Ct);
        }

        var taskSequenceId = "TS-" + deploymentId;
        await Store.AddTaskSequenceAsync(NewTaskSequence(taskSequenceId), Ct);
        var deployment = new Deployment(deploymentId, taskSequenceId, collectionId, DeploymentPurpose.Available, null, null,
            ContentOption.DownloadLocallyWhenNeeded, AllowUnicastFallback: true, Time());
        await Store.AddDeploymentAsync(deployment, Ct);
        return deployment;
    }

    [StoreFact]
    public async Task TaskSequence_RoundTripsStepsWithParametersAndConditions()
    {
        var sequence = new TaskSequence("DC300001", "Deploy Windows 11", "Lab build",
            [
                new TaskSequenceStep("Apply Operating System", StepType.ApplyOperatingSystemImage,
                    new Dictionary<string, string> { ["Package"] = "DC100001", ["ImageIndex"] = "3", ["Destination"] = "disk:0" }),
                new TaskSequenceStep("Set OSDComputerName", StepType.SetVariable,
                    new Dictionary<string, string> { ["Name"] = "OSDComputerName", ["Value"] = "LAB-%SerialNumber%" },
                    ContinueOnError: true, new StepCondition("OSDComputerName", ConditionOperator.NotExists)),
                new TaskSequenceStep("Run setup", StepType.RunCommandLine, new Dictionary<string, string> { ["CommandLine"] = "cmd /c \"echo ü ✓\"" },
                    Condition: new StepCondition("Model", ConditionOperator.Equals, "Virtual Machine")),
                new TaskSequenceStep("Restart", StepType.RestartComputer, new Dictionary<string, string>()),
            ],
            Time(1), Time(2));
        var empty = NewTaskSequence("DC300002");

        await Store.AddTaskSequenceAsync(sequence, Ct);
        await Store.AddTaskSequenceAsync(empty, Ct);

        AssertTaskSequence(sequence, await Store.GetTaskSequenceAsync("dc300001", Ct));
        AssertTaskSequence(empty, await Store.GetTaskSequenceAsync("DC300002", Ct));
        Assert.Null(await Store.GetTaskSequenceAsync("DC300003", Ct));
    }

    [StoreFact]
    public async Task TaskSequence_UpdateReplacesIt_DuplicatesClash_AndListsPage()
    {
        foreach (var id in new[] { "DC300003", "DC300001", "DC300002" })
        {
            await Store.AddTaskSequenceAsync(NewTaskSequence(id), Ct);
        }

        var changed = new TaskSequence("dc300001", "Deploy Windows 11 24H2", "new",
            [new TaskSequenceStep("Restart", StepType.RestartComputer, new Dictionary<string, string> { ["Message"] = "bye" })], Time(), Time(60));
        Assert.True(await Store.UpdateTaskSequenceAsync(changed, Ct));
        Assert.False(await Store.UpdateTaskSequenceAsync(changed with { Id = "DC309999" }, Ct));
        var clash = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.AddTaskSequenceAsync(NewTaskSequence("Dc300002"), Ct));

        Assert.Equal("a task sequence with ID 'Dc300002' already exists", clash.Message);
        AssertTaskSequence(changed with { Id = "DC300001" }, await Store.GetTaskSequenceAsync("DC300001", Ct));
        var page = await Store.ListTaskSequencesAsync(new Page(1, 5), Ct);
        Assert.Equal(["DC300002", "DC300003"], page.Items.Select(t => t.Id));
        Assert.Equal(3, page.Total);
    }

    [StoreFact]
    public async Task Deployment_RoundTripsEveryField()
    {
        await Store.AddCollectionAsync(NewCollection("DC200001", "Lab"), Ct);
        await Store.AddTaskSequenceAsync(NewTaskSequence("DC300001"), Ct);
        var available = new Deployment("DC400001", "DC300001", "DC200001", DeploymentPurpose.Available, null, null,
            ContentOption.AccessDirectly, AllowUnicastFallback: false, Time());
        var required = new Deployment("DC400002", "dc300001", "dc200001", DeploymentPurpose.Required, Time(10), Time(20),
            ContentOption.DownloadAllBeforeStarting, AllowUnicastFallback: true, Time(1));

        await Store.AddDeploymentAsync(available, Ct);
        await Store.AddDeploymentAsync(required, Ct);

        AssertDeployment(available, await Store.GetDeploymentAsync("dc400001", Ct));
        AssertDeployment(required, await Store.GetDeploymentAsync("DC400002", Ct));
        Assert.Null(await Store.GetDeploymentAsync("DC400003", Ct));
    }

    [StoreFact]
    public async Task Deployment_DuplicatesAndUnknownTaskSequencesOrCollectionsAreRefused()
    {
        var deployment = await AddDeploymentToAsync("DC200001", "DC400001");

        var duplicate = await Assert.ThrowsAsync<SiteStoreConflictException>(() => Store.AddDeploymentAsync(deployment with { Id = "dc400001" }, Ct));
        var noSequence = await Assert.ThrowsAsync<SiteStoreConflictException>(() =>
            Store.AddDeploymentAsync(deployment with { Id = "DC400002", TaskSequenceId = "DC309999" }, Ct));
        var noCollection = await Assert.ThrowsAsync<SiteStoreConflictException>(() =>
            Store.AddDeploymentAsync(deployment with { Id = "DC400003", CollectionId = "DC209999" }, Ct));

        Assert.Equal("a deployment with ID 'dc400001' already exists", duplicate.Message);
        Assert.Equal("there is no task sequence with ID 'DC309999'", noSequence.Message);
        Assert.Equal("there is no collection with ID 'DC209999'", noCollection.Message);
        Assert.Equal(1, (await Store.ListDeploymentsAsync(Page.Default, Ct)).Total);
    }

    [StoreFact]
    public async Task Deployments_AreListedByCollectionAndPaged_AndDeleteRemovesTheirDeviceStates()
    {
        await AddDeploymentToAsync("DC200002", "DC400003");
        await AddDeploymentToAsync("DC200001", "DC400002");
        await AddDeploymentToAsync("DC200001", "DC400001");
        await AddDeploymentToAsync("DC200003", "DC400004");
        var device = await Store.AddDeviceAsync(NewDevice("A"), Ct);
        await Store.SaveDeploymentDeviceStateAsync(NewState("DC400001", device.Id), Ct);

        Assert.Equal(["DC400001", "DC400002", "DC400003"],
            (await Store.ListDeploymentsToCollectionsAsync(["dc200001", "DC200002", "DC209999"], Ct)).Select(d => d.Id));
        Assert.Empty(await Store.ListDeploymentsToCollectionsAsync([], Ct));
        var page = await Store.ListDeploymentsAsync(new Page(3, 2), Ct);
        Assert.Equal(["DC400004"], page.Items.Select(d => d.Id));
        Assert.Equal(4, page.Total);

        Assert.True(await Store.DeleteDeploymentAsync("dc400001", Ct));
        Assert.False(await Store.DeleteDeploymentAsync("DC400001", Ct));
        Assert.Null(await Store.GetDeploymentAsync("DC400001", Ct));
        Assert.Empty(await Store.ListDeploymentDeviceStatesAsync("DC400001", Ct));

        // Once its deployments are gone, a collection can be deleted.
        Assert.True(await Store.DeleteDeploymentAsync("DC400003", Ct));
        Assert.True(await Store.DeleteCollectionAsync("DC200002", Ct));
    }

    private static void AssertTaskSequence(TaskSequence expected, TaskSequence? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Steps.Count, actual.Steps.Count);
        for (var i = 0; i < expected.Steps.Count; i++)
        {
            var (e, a) = (expected.Steps[i], actual.Steps[i]);
            Assert.Equal(e.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal), a.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal));
            Assert.Equal(e with { Parameters = a.Parameters }, a);
        }

        Assert.Equal(expected with { Steps = actual.Steps }, actual);
        AssertTime(expected.Created, actual.Created);
        AssertTime(expected.Modified, actual.Modified);
    }

    private static void AssertDeployment(Deployment expected, Deployment? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected, actual);
        AssertTime(expected.Available, actual.Available);
        AssertTime(expected.Deadline, actual.Deadline);
        AssertTime(expected.Created, actual.Created);
    }
}
