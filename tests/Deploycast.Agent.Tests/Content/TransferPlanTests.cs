using Deploycast.Agent.Content;
using Deploycast.Site.Model;
using static Deploycast.Agent.Tests.Content.ContentTestData;

namespace Deploycast.Agent.Tests.Content;

public sealed class TransferPlanTests
{
    private static readonly PolicyDistributionPoint Dp = new("DP01", new Uri("https://dp01.example:8443/"), new string('1', 64));

    [Fact]
    public void DownloadWhenNeeded_MulticastPackage_TriesMulticastFirst_WithUnicastFallback()
    {
        var plan = TransferPlan.ForPolicy(ContentOption.DownloadLocallyWhenNeeded, Package(multicast: true, unicast: true));
        Assert.Equal(new TransferPlan(true, true), plan);
        Assert.True(plan.Possible);
    }

    [Fact]
    public void DeploymentWithoutUnicastFallback_UsesMulticastOnly()
    {
        var plan = TransferPlan.ForPolicy(ContentOption.DownloadLocallyWhenNeeded, Package(multicast: true, unicast: false));
        Assert.Equal(new TransferPlan(true, false), plan);
    }

    [Theory]
    [InlineData(ContentOption.DownloadAllBeforeStarting)]
    [InlineData(ContentOption.AccessDirectly)]
    public void OtherContentOptions_NeverUseMulticast_EvenWhenThePolicySaysMulticast(ContentOption option)
    {
        var plan = TransferPlan.ForPolicy(option, Package(multicast: true, unicast: true));
        Assert.Equal(new TransferPlan(false, true), plan);
    }

    [Fact]
    public void MulticastOnlyPackage_UnderAccessDirectly_IsRefusedWithTheReason()
    {
        var plan = TransferPlan.ForPolicy(ContentOption.AccessDirectly, Package(multicast: false, unicast: false, multicastOnly: true));
        Assert.False(plan.Possible);
        Assert.Contains("DC100001", plan.Refusal, StringComparison.Ordinal);
        Assert.Contains("transfer only via multicast", plan.Refusal, StringComparison.Ordinal);
        Assert.Contains("Access content directly", plan.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void MulticastOnlyFlag_NeverAllowsUnicast_EvenIfThePolicySaysSo()
    {
        var plan = TransferPlan.ForPolicy(ContentOption.DownloadLocallyWhenNeeded, Package(multicast: true, unicast: true, multicastOnly: true));
        Assert.Equal(new TransferPlan(true, false), plan);
    }

    [Fact]
    public void DpWithMulticastDisabled_ServesByUnicast_WhenUnicastIsAllowed()
    {
        var content = Package(multicast: true, unicast: true);
        var plan = TransferPlan.ForPolicy(ContentOption.DownloadLocallyWhenNeeded, content).AtDistributionPoint(content, Dp, multicastEnabled: false);
        Assert.Equal(new TransferPlan(false, true), plan);
    }

    [Fact]
    public void DpWithMulticastEnabled_KeepsThePlan()
    {
        var content = Package(multicast: true, unicast: true);
        var plan = TransferPlan.ForPolicy(ContentOption.DownloadLocallyWhenNeeded, content).AtDistributionPoint(content, Dp, multicastEnabled: true);
        Assert.Equal(new TransferPlan(true, true), plan);
    }

    [Fact]
    public void MulticastOnlyPackage_AtDpWithMulticastDisabled_IsRefused_NamingPackageAndDp()
    {
        var content = Package(multicast: true, unicast: false, multicastOnly: true);
        var plan = TransferPlan.ForPolicy(ContentOption.DownloadLocallyWhenNeeded, content).AtDistributionPoint(content, Dp, multicastEnabled: false);
        Assert.False(plan.Possible);
        Assert.Contains("Package DC100001", plan.Refusal, StringComparison.Ordinal);
        Assert.Contains("transfer only via multicast", plan.Refusal, StringComparison.Ordinal);
        Assert.Contains("DP01", plan.Refusal, StringComparison.Ordinal);
        Assert.Contains("has multicast disabled", plan.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void NoUnicastFallback_AtDpWithMulticastDisabled_IsRefused_SayingWhatToChange()
    {
        var content = Package(multicast: true, unicast: false);
        var plan = TransferPlan.ForPolicy(ContentOption.DownloadLocallyWhenNeeded, content).AtDistributionPoint(content, Dp, multicastEnabled: false);
        Assert.False(plan.Possible);
        Assert.Contains("allow unicast fallback on the deployment", plan.Refusal, StringComparison.Ordinal);
    }
}
