using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Deploycast.Site.Model;

namespace Deploycast.IntegrationTests;

public sealed class PackageOptionsTests
{
    [Fact]
    public async Task MulticastOnly_WithADeploymentThatAccessesContentDirectly_Is409NamingTheFieldAndTheDeployment()
    {
        await using var site = await AgentContentSite.StartAsync();
        var packageId = await site.ImportAsync(site.Server.Directory.RandomFile("p.img", 20_000, seed: 2), ImageType.Raw);
        var (deviceId, _) = await site.RegisterDeviceAsync("LAB-MO-01");
        await site.DeployAsync(deviceId, ContentOption.AccessDirectly, allowUnicastFallback: true, packageId);
        using var admin = site.Server.Http(DistributionPointServer.AdminToken);

        using var response = await admin.PatchAsJsonAsync($"/api/v1/packages/{packageId}", new { multicastOnly = true });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("multicastOnly")[0].GetString();
        Assert.Contains("(AccessDirectly)", message, StringComparison.Ordinal);
        Assert.Contains("DC4", message, StringComparison.Ordinal);
        var cli = await AdminCli.RunAsync(site.Server, "package", "set", packageId, "--multicast-only", "true");
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("multicastOnly (--multicast-only):", cli.Error, StringComparison.Ordinal);
        Assert.False((await admin.GetFromJsonAsync<JsonElement>($"/api/v1/packages/{packageId}")).GetProperty("package").GetProperty("multicastOnly").GetBoolean());
    }
}
