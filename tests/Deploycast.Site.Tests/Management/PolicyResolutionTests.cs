using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Site.Tests.Management;

public sealed class PolicyResolutionTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Policy_FollowsNamePatternMacPrefixSubnetAndDirectMembers()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001");
        var sequence = await f.ApplySequenceAsync("DC100001");
        var byName = await f.AddDeviceAsync("LAB-PC-01", "00:15:5d:00:00:01");
        var byMac = await f.AddDeviceAsync("OFFICE-7", "3c-ec-ef-12-34-56");
        var bySubnet = await f.AddDeviceAsync("KIOSK", "001122334455", ipv4: "198.18.4.77");
        var direct = await f.AddDeviceAsync("SPARE", "00:aa:00:00:00:09");
        var outsider = await f.AddDeviceAsync("ELSEWHERE", "00:bb:00:00:00:0a", ipv4: "198.18.5.1");

        var rules = await f.Site.CreateCollectionAsync(new CollectionDefinition("Lab", Rules:
        [
            new CollectionRule(CollectionRuleKind.NamePattern, "lab-pc-*"),
            new CollectionRule(CollectionRuleKind.MacPrefix, "3C:EC:EF"),
            new CollectionRule(CollectionRuleKind.IPv4Subnet, "198.18.4.0/24"),
        ], Members: [direct.Id]), None);
        var deployment = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, rules.Id), None);

        foreach (var member in new[] { byName, byMac, bySubnet, direct })
        {
            var policy = await f.Site.GetPolicyAsync(member, None);
            Assert.Equal(deployment.Id, Assert.Single(policy.Deployments).DeploymentId);
        }

        Assert.Empty((await f.Site.GetPolicyAsync(outsider, None)).Deployments);
        var members = await f.Site.ListCollectionDevicesAsync(rules.Id, None);
        Assert.Equal(new[] { byName.Id, byMac.Id, bySubnet.Id, direct.Id }.Order(), members.Select(m => m.Id).Order());
    }

    [Fact]
    public async Task Policy_MacPrefixMatchesWholeBytesOnly()
    {
        await using var f = await SiteFixture.CreateAsync();
        var device = await f.AddDeviceAsync("A", "00:15:5d:00:00:01");
        Assert.True(CollectionRules.Matches(new CollectionRule(CollectionRuleKind.MacPrefix, "00:15:5d"), device));
        Assert.False(CollectionRules.Matches(new CollectionRule(CollectionRuleKind.MacPrefix, "00:15:5"), device));
    }

    [Fact]
    public async Task Policy_RequiredIsDueAtDeadline_AvailableNeverDue_FutureAvailabilityHidden()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001");
        var sequence = await f.ApplySequenceAsync("DC100001");
        var device = await f.AddDeviceAsync("PC1", "00:15:5d:00:00:01");
        var now = f.Clock.GetUtcNow();
        var available = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, Identifiers.AllSystems), None);
        var required = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, Identifiers.AllSystems, DeploymentPurpose.Required, Deadline: now.AddHours(1)), None);
        var later = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, Identifiers.AllSystems, Available: now.AddDays(1)), None);

        var policy = await f.Site.GetPolicyAsync(device, None);
        Assert.Equal([available.Id, required.Id], policy.Deployments.Select(d => d.DeploymentId));
        Assert.All(policy.Deployments, d => Assert.False(d.Due));

        f.Clock.Advance(TimeSpan.FromHours(2));
        policy = await f.Site.GetPolicyAsync(device, None);
        Assert.False(policy.Deployments.Single(d => d.DeploymentId == available.Id).Due);
        Assert.True(policy.Deployments.Single(d => d.DeploymentId == required.Id).Due);
        Assert.DoesNotContain(policy.Deployments, d => d.DeploymentId == later.Id);

        f.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Contains((await f.Site.GetPolicyAsync(device, None)).Deployments, d => d.DeploymentId == later.Id);
    }

    [Theory]
    [InlineData(true, false, false, ContentOption.DownloadLocallyWhenNeeded, true, true, false, true)]
    [InlineData(true, true, false, ContentOption.DownloadLocallyWhenNeeded, true, true, true, true)]
    [InlineData(true, false, false, ContentOption.DownloadLocallyWhenNeeded, false, true, false, false)]
    [InlineData(true, false, true, ContentOption.DownloadLocallyWhenNeeded, true, true, false, false)]
    [InlineData(true, true, false, ContentOption.DownloadAllBeforeStarting, true, false, false, true)]
    [InlineData(true, false, false, ContentOption.AccessDirectly, false, false, false, true)]
    [InlineData(false, false, false, ContentOption.DownloadLocallyWhenNeeded, false, false, false, true)]
    public async Task Policy_CarriesMulticastOptions(
        bool allowMulticast, bool encrypt, bool multicastOnly, ContentOption option, bool fallback,
        bool expectMulticast, bool expectEncrypted, bool expectUnicast)
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001", allowMulticast: allowMulticast, encrypt: encrypt, multicastOnly: multicastOnly);
        var sequence = await f.ApplySequenceAsync("DC100001");
        var device = await f.AddDeviceAsync("PC1", "00:15:5d:00:00:01");
        await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, Identifiers.AllSystems, ContentOption: option, AllowUnicastFallback: fallback), None);

        var content = Assert.Single(Assert.Single((await f.Site.GetPolicyAsync(device, None)).Deployments).Content);
        Assert.Equal(expectMulticast, content.Multicast);
        Assert.Equal(expectEncrypted, content.EncryptMulticast);
        Assert.Equal(multicastOnly, content.MulticastOnly);
        Assert.Equal(expectUnicast, content.UnicastAllowed);
        Assert.Equal("dp1", Assert.Single(content.DistributionPoints).Id);
        Assert.Equal(new string('a', 64), content.ContentId);
    }

    [Fact]
    public async Task Deploy_MulticastOnlyPackageWithoutDownloadWhenNeeded_IsRefusedNamingContentOption()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001", multicastOnly: true);
        var sequence = await f.ApplySequenceAsync("DC100001");
        var error = await Assert.ThrowsAsync<SiteValidationException>(() =>
            f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, Identifiers.AllSystems, ContentOption: ContentOption.AccessDirectly), None));
        Assert.Contains("DC100001", Assert.Single(error.Errors["contentOption"]));
    }

    [Fact]
    public async Task SetMulticastOnly_WhileADeploymentUsesAnotherContentOption_IsRefusedNamingTheFieldAndDeployments()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001");
        var sequence = await f.ApplySequenceAsync("DC100001");
        var whenNeeded = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, Identifiers.AllSystems), None);
        var direct = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, Identifiers.AllSystems, ContentOption: ContentOption.AccessDirectly), None);
        var allFirst = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, Identifiers.AllSystems, ContentOption: ContentOption.DownloadAllBeforeStarting), None);

        var error = await Assert.ThrowsAsync<SiteConflictException>(() => f.Site.SetPackageAsync("dc100001", new PackageChange(MulticastOnly: true), None));

        Assert.Equal("multicastOnly", error.Field);
        Assert.Contains($"{direct.Id} (AccessDirectly)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{allFirst.Id} (DownloadAllBeforeStarting)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(whenNeeded.Id, error.Message, StringComparison.Ordinal);
        Assert.False((await f.Site.GetPackageAsync("DC100001", None)).MulticastOnly);

        await f.Site.DeleteDeploymentAsync(direct.Id, None);
        await f.Site.DeleteDeploymentAsync(allFirst.Id, None);
        Assert.True((await f.Site.SetPackageAsync("DC100001", new PackageChange(MulticastOnly: true), None)).MulticastOnly);
    }

    [Fact]
    public async Task Policy_UnknownComputerGetsAllUnknownComputersDeployments_OnlyOnceApproved()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001");
        var sequence = await f.ApplySequenceAsync("DC100001");
        var known = await f.AddDeviceAsync("KNOWN", "00:15:5d:00:00:01");
        var deployment = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, Identifiers.AllUnknownComputers, DeploymentPurpose.Required), None);

        var registration = await f.Site.RegisterDeviceAsync(new DeviceEntry("minint-1", ["00:15:5d:99:99:99"]), null, None);
        Assert.True(registration.Device.IsUnknown);
        Assert.Equal(DeviceApproval.Pending, registration.Device.Approval);
        var refused = await Assert.ThrowsAsync<SiteForbiddenException>(() => f.Site.GetPolicyAsync(registration.Device, None));
        Assert.Contains("waiting for approval", refused.Message, StringComparison.Ordinal);

        var approved = await f.Site.SetApprovalAsync(registration.Device.Id, DeviceApproval.Approved, None);
        Assert.Equal(deployment.Id, Assert.Single((await f.Site.GetPolicyAsync(approved, None)).Deployments).DeploymentId);
        Assert.Empty((await f.Site.GetPolicyAsync(known, None)).Deployments);
    }

    [Fact]
    public async Task Register_ImportedDeviceIsApprovedAndKeepsItsName_CredentialIdentifiesIt()
    {
        await using var f = await SiteFixture.CreateAsync();
        var imported = await f.AddDeviceAsync("LAB-PC-01", "00:15:5d:00:00:01");
        var registration = await f.Site.RegisterDeviceAsync(new DeviceEntry("minint-xyz", ["00-15-5D-00-00-01"]), null, None);
        Assert.Equal(imported.Id, registration.Device.Id);
        Assert.Equal("LAB-PC-01", registration.Device.Name);
        Assert.Equal(DeviceApproval.Approved, registration.Device.Approval);
        Assert.Equal(imported.Id, (await f.Site.AuthenticateDeviceAsync(registration.Credential, None))!.Id);

        // Registering again gives a new credential; the old one stops working.
        var again = await f.Site.RegisterDeviceAsync(new DeviceEntry("minint-xyz", ["00:15:5d:00:00:01"]), null, None);
        Assert.Null(await f.Site.AuthenticateDeviceAsync(registration.Credential, None));
        Assert.Equal(imported.Id, (await f.Site.AuthenticateDeviceAsync(again.Credential, None))!.Id);
    }

    [Fact]
    public async Task Register_AgainWithoutTheCredential_WaitsForApproval_WithItKeepsApproval()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddDeviceAsync("LAB-PC-01", "00:15:5d:00:00:01");
        var first = await f.Site.RegisterDeviceAsync(new DeviceEntry("x", ["00:15:5d:00:00:01"]), null, None);
        Assert.Equal(DeviceApproval.Approved, first.Device.Approval);

        // The same computer renewing its credential keeps its approval ...
        var renewed = await f.Site.RegisterDeviceAsync(new DeviceEntry("x", ["00:15:5d:00:00:01"]), null, None, first.Credential);
        Assert.Equal(DeviceApproval.Approved, renewed.Device.Approval);

        // ... another machine claiming its MAC address without the credential gets nothing until an administrator says so.
        var claim = await f.Site.RegisterDeviceAsync(new DeviceEntry("evil", ["00:15:5d:00:00:01"]), null, None);
        Assert.Equal(DeviceApproval.Pending, claim.Device.Approval);
        await Assert.ThrowsAsync<SiteForbiddenException>(() => f.Site.GetPolicyAsync(claim.Device, None));
    }

    [Fact]
    public async Task Import_OfAWaitingUnknownComputer_ApprovesIt()
    {
        await using var f = await SiteFixture.CreateAsync();
        var registration = await f.Site.RegisterDeviceAsync(new DeviceEntry("minint-1", ["00:15:5d:77:00:01"]), null, None);
        Assert.Equal(DeviceApproval.Pending, registration.Device.Approval);
        await f.Site.ImportDevicesAsync([new DeviceEntry("LAB-PC-77", ["00:15:5d:77:00:01"])], None);
        var device = await f.Site.GetDeviceAsync(registration.Device.Id, None);
        Assert.Equal((DeviceApproval.Approved, false, "LAB-PC-77"), (device.Approval, device.IsUnknown, device.Name));
    }

    [Fact]
    public async Task Register_BadIPv4AndTooManyMacs_AreRefusedNamingTheField()
    {
        await using var f = await SiteFixture.CreateAsync();
        var error = await Assert.ThrowsAsync<SiteValidationException>(() => f.Site.RegisterDeviceAsync(
            new DeviceEntry("x", Enumerable.Range(0, 17).Select(i => $"00:15:5d:00:01:{i:x2}").ToList(), IPv4Address: "10.0.0"), null, None));
        Assert.True(error.Errors.ContainsKey("macAddresses"));
        Assert.True(error.Errors.ContainsKey("ipv4Address"));
    }

    [Fact]
    public async Task Register_ManualApproval_ImportedDevicesWaitToo()
    {
        await using var f = await SiteFixture.CreateAsync(new SiteOptions { DeviceApproval = DeviceApprovalMode.Manual });
        await f.AddDeviceAsync("LAB-PC-01", "00:15:5d:00:00:01");
        var registration = await f.Site.RegisterDeviceAsync(new DeviceEntry("x", ["00:15:5d:00:00:01"]), null, None);
        Assert.Equal(DeviceApproval.Pending, registration.Device.Approval);
    }

    [Fact]
    public async Task Status_UpdatesTheSummary_AndIsRefusedForADeploymentNotDeployedToTheDevice()
    {
        await using var f = await SiteFixture.CreateAsync();
        await f.AddPackageAsync("DC100001");
        var sequence = await f.ApplySequenceAsync("DC100001");
        var a = await f.AddDeviceAsync("A", "00:15:5d:00:00:01");
        var b = await f.AddDeviceAsync("B", "00:15:5d:00:00:02");
        var c = await f.AddDeviceAsync("C", "00:15:5d:00:00:03");
        var collection = await f.Site.CreateCollectionAsync(new CollectionDefinition("AB", Members: [a.Id, b.Id]), None);
        var deployment = await f.Site.DeployAsync(new DeploymentDefinition(sequence.Id, collection.Id), None);

        await f.Site.ReportAgentStatusAsync(a, new AgentStatus(deployment.Id, 11140, null, "TSManager", "Started", 0, "Apply image", 40), None);
        var summary = await f.Site.GetDeploymentSummaryAsync(deployment.Id, None);
        Assert.Equal((2, 0, 1, 0, 1), (summary.Targeted, summary.Success, summary.InProgress, summary.Error, summary.Unknown));
        Assert.Equal(40, summary.Devices.Single(d => d.DeviceId == a.Id).State!.Progress);

        await f.Site.ReportAgentStatusAsync(a, new AgentStatus(deployment.Id, 11143, null, "TSManager", "Done", State: DeploymentState.Success), None);
        await f.Site.ReportAgentStatusAsync(b, new AgentStatus(deployment.Id, 11141, StatusSeverity.Error, "TSManager", "Disk missing", 0, State: DeploymentState.Error), None);
        summary = await f.Site.GetDeploymentSummaryAsync(deployment.Id, None);
        Assert.Equal((2, 1, 0, 1, 0), (summary.Targeted, summary.Success, summary.InProgress, summary.Error, summary.Unknown));
        Assert.Equal("Disk missing", summary.Devices.Single(d => d.DeviceId == b.Id).State!.Message);

        await Assert.ThrowsAsync<SiteForbiddenException>(() =>
            f.Site.ReportAgentStatusAsync(c, new AgentStatus(deployment.Id, 11140, null, "TSManager", "Started"), None));
        var messages = await f.Site.ListStatusMessagesAsync(new Deploycast.Site.Storage.StatusMessageFilter(DeploymentId: deployment.Id), Page.Default, None);
        Assert.Equal(3, messages.Total);
    }
}
