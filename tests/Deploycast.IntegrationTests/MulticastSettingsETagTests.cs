using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Deploycast.DistributionPoint.Settings;

namespace Deploycast.IntegrationTests;

/// <summary>Two administrators change the DP's multicast settings from what each read: the second is refused, not silently overwriting.</summary>
public sealed class MulticastSettingsETagTests
{
    [Fact]
    public async Task Put_WithAStaleIfMatch_Is412NamingIfMatch_AndChangesNothing()
    {
        await using var server = await DistributionPointServer.StartAsync();
        using var admin = server.Http(DistributionPointServer.AdminToken);
        using var read = await admin.GetAsync("/api/v1/dp/multicast");
        var etag = read.Headers.ETag!.ToString();
        var settings = (await read.Content.ReadFromJsonAsync<MulticastSettings>(AgentContentSite.Json))!;

        // The first administrator's change, made with the tag both read.
        using var first = await PutAsync(admin, settings with { MaximumClients = 50 }, etag);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var newTag = first.Headers.ETag!.ToString();
        Assert.NotEqual(etag, newTag);

        using var second = await PutAsync(admin, settings with { MaximumClients = 70 }, etag);
        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        var problem = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("The multicast settings changed", problem.GetProperty("title").GetString());
        Assert.Contains("is stale", problem.GetProperty("errors").GetProperty("If-Match")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(50, server.Role.Settings.MaximumClients);

        using var withNew = await PutAsync(admin, settings with { MaximumClients = 70 }, newTag);
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
        using var withoutTag = await PutAsync(admin, settings with { MaximumClients = 80 }, null);
        Assert.Equal(HttpStatusCode.OK, withoutTag.StatusCode);
        Assert.Equal(80, server.Role.Settings.MaximumClients);

        // The CLI reads, changes and writes back with the tag it read.
        var cli = await AdminCli.RunAsync(server, "dp", "set", "--max-clients", "90");
        cli.AssertSuccess();
        Assert.Equal(90, server.Role.Settings.MaximumClients);
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient http, MulticastSettings settings, string? ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/dp/multicast") { Content = JsonContent.Create(settings, options: AgentContentSite.Json) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return http.SendAsync(request);
    }
}
