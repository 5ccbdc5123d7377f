using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Site.Tests.Management;

public sealed class ValidationTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static TaskSequenceStep Step(StepType type, params (string Key, string Value)[] parameters) =>
        new("step", type, parameters.ToDictionary(p => p.Key, p => p.Value));

    [Fact]
    public async Task TaskSequence_StepErrorsNameTheirField()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001", ImageType.Wim, imageCount: 2);
        await f.AddPackageAsync("DC100002", ImageType.Raw);
        var error = await Assert.ThrowsAsync<SiteValidationException>(() => f.Site.CreateTaskSequenceAsync(new TaskSequenceDefinition("TS", Steps:
        [
            Step(StepType.ApplyOperatingSystemImage, ("package", "DC100001"), ("destination", "/mnt")),
            Step(StepType.ApplyOperatingSystemImage, ("package", "DC100001"), ("imageIndex", "3"), ("destination", "/mnt")),
            Step(StepType.ApplyDataImage, ("package", "DC100002"), ("imageIndex", "1"), ("destination", "/dev/sdb")),
            Step(StepType.ApplyDataImage, ("package", "DC199999"), ("destination", "/dev/sdb")),
            Step(StepType.RunCommandLine, ("commandLine", "true"), ("successCodes", "0 x"), ("timeoutSeconds", "0"), ("shell", "bash")),
            Step(StepType.SetVariable, ("name", "9bad"), ("value", "")),
            new TaskSequenceStep("cond", StepType.RestartComputer, new Dictionary<string, string>(), Condition: new StepCondition("OSDDisk", ConditionOperator.Equals)),
        ]), None));

        Assert.Contains("name the image index", Assert.Single(error.Errors["steps[0].parameters.imageIndex"]), StringComparison.Ordinal);
        Assert.Contains("holds 2 image(s)", Assert.Single(error.Errors["steps[1].parameters.imageIndex"]), StringComparison.Ordinal);
        Assert.Contains("no image index", Assert.Single(error.Errors["steps[2].parameters.imageIndex"]), StringComparison.Ordinal);
        Assert.Contains("no package 'DC199999'", Assert.Single(error.Errors["steps[3].parameters.package"]), StringComparison.Ordinal);
        Assert.Contains("whole numbers", Assert.Single(error.Errors["steps[4].parameters.successCodes"]), StringComparison.Ordinal);
        Assert.Contains("from 1 to", Assert.Single(error.Errors["steps[4].parameters.timeoutSeconds"]), StringComparison.Ordinal);
        Assert.Contains("has no parameter 'shell'", Assert.Single(error.Errors["steps[4].parameters.shell"]), StringComparison.Ordinal);
        Assert.Contains("not a variable name", Assert.Single(error.Errors["steps[5].parameters.name"]), StringComparison.Ordinal);
        Assert.Contains("needs a value", Assert.Single(error.Errors["steps[6].condition.value"]), StringComparison.Ordinal);
        Assert.Equal(0, (await f.Site.ListTaskSequencesAsync(Page.Default, None)).Total);
    }

    [Fact]
    public async Task TaskSequence_ValidStepsAreStoredInOrder()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001", ImageType.Wim, imageCount: 2);
        var created = await f.Site.CreateTaskSequenceAsync(new TaskSequenceDefinition("Win11", Steps:
        [
            Step(StepType.SetVariable, ("name", "Target"), ("value", "/mnt/os")),
            Step(StepType.ApplyOperatingSystemImage, ("package", "dc100001"), ("imageIndex", "2"), ("destination", "%Target%")),
            Step(StepType.RunCommandLine, ("commandLine", "sync"), ("successCodes", "0,3010")),
        ]), None);
        var read = await f.Site.GetTaskSequenceAsync(created.Id.ToLowerInvariant(), None);
        Assert.Equal([StepType.SetVariable, StepType.ApplyOperatingSystemImage, StepType.RunCommandLine], read.Steps.Select(s => s.Type));
        Assert.Equal("%Target%", read.Steps[1].Parameters["destination"]);
    }

    [Fact]
    public async Task Collection_BadRulesAndDuplicateNamesAreRefused()
    {
        await using var f = await SiteFixture.CreateAsync();
        var error = await Assert.ThrowsAsync<SiteValidationException>(() => f.Site.CreateCollectionAsync(new CollectionDefinition("Lab", Rules:
        [
            new CollectionRule(CollectionRuleKind.MacPrefix, "00:1g"),
            new CollectionRule(CollectionRuleKind.IPv4Subnet, "198.18.4.1/24"),
            new CollectionRule(CollectionRuleKind.NamePattern, " "),
        ]), None));
        Assert.Equal(["rules[0].value", "rules[1].value", "rules[2].value"], error.Errors.Keys.Order());

        await f.Site.CreateCollectionAsync(new CollectionDefinition("Lab"), None);
        var conflict = await Assert.ThrowsAsync<SiteConflictException>(() => f.Site.CreateCollectionAsync(new CollectionDefinition("LAB"), None));
        Assert.Contains("LAB", conflict.Message, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<SiteConflictException>(() => f.Site.DeleteCollectionAsync(Identifiers.AllSystems, None));
    }

    [Fact]
    public async Task Collection_WithDeploymentCannotBeDeleted()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001");
        var sequence = await f.ApplySequenceAsync("DC100001");
        var collection = await f.Site.CreateCollectionAsync(new CollectionDefinition("Lab"), None);
        var deployment = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, collection.Id), None);
        var error = await Assert.ThrowsAsync<SiteConflictException>(() => f.Site.DeleteCollectionAsync(collection.Id, None));
        Assert.Contains(deployment.Id, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeviceCsv_ReadsConfigMgrLayout_AndNamesBadLines()
    {
        var entries = SiteManager.ParseDeviceCsv("Name,SMBIOS GUID,MAC Address\nPC1,4c4c4544-0042-3510-8052-b4c04f4b4e31,00:15:5D:00:00:01\nPC2,,00-15-5d-00-00-02;00155d000003\n");
        Assert.Equal(2, entries.Count);
        Assert.Equal(["00-15-5d-00-00-02", "00155d000003"], entries[1].MacAddresses);
        var error = Assert.Throws<SiteValidationException>(() => SiteManager.ParseDeviceCsv("PC1,,00:15:5d:00:00:01\nPC2\n"));
        Assert.True(error.Errors.ContainsKey("line 2"));
    }

    [Fact]
    public async Task DeviceImport_BadMacRefusesTheWholeImport()
    {
        await using var f = await SiteFixture.CreateAsync();
        var error = await Assert.ThrowsAsync<SiteValidationException>(() => f.Site.ImportDevicesAsync(
            [new DeviceEntry("PC1", ["00:15:5d:00:00:01"]), new DeviceEntry("PC2", ["00:15:5d:00:00"])], None));
        Assert.Contains("'00:15:5d:00:00' is not a MAC address", Assert.Single(error.Errors["devices[1].macAddresses"]), StringComparison.Ordinal);
        Assert.Equal(0, (await f.Site.ListDevicesAsync(Page.Default, None)).Total);

        var result = await f.Site.ImportDevicesAsync([new DeviceEntry("PC1", ["00155D000001"]), new DeviceEntry("PC1-renamed", ["00:15:5d:00:00:01"])], None);
        Assert.Equal((1, 1), (result.Added, result.Updated));
        Assert.Equal("PC1-renamed", Assert.Single((await f.Site.ListDevicesAsync(Page.Default, None)).Items).Name);
    }

    [Theory]
    [InlineData("00:15:5D:0A:0b:0C", "00:15:5d:0a:0b:0c")]
    [InlineData("00-15-5d-0a-0b-0c", "00:15:5d:0a:0b:0c")]
    [InlineData("00155d0a0b0c", "00:15:5d:0a:0b:0c")]
    [InlineData("00:15:5d:0a:0b", null)]
    [InlineData("00:15:5d:0a:0b:0g", null)]
    [InlineData("", null)]
    public void Mac_IsNormalized(string input, string? expected) => Assert.Equal(expected, Identifiers.NormalizeMac(input));

    [Fact]
    public void Paging_OutOfRangeIsRefusedNamingTheParameter()
    {
        Assert.True(Assert.Throws<SiteValidationException>(() => SiteManager.PageOf(-1, null)).Errors.ContainsKey("skip"));
        Assert.True(Assert.Throws<SiteValidationException>(() => SiteManager.PageOf(0, 0)).Errors.ContainsKey("take"));
        Assert.True(Assert.Throws<SiteValidationException>(() => SiteManager.PageOf(0, Page.MaxTake + 1)).Errors.ContainsKey("take"));
    }
}
