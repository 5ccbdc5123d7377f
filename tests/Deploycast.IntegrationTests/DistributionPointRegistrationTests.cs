using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Deploycast.Server;

namespace Deploycast.IntegrationTests;

/// <summary>A second server registers with the site as a distribution point, by a registration token the administrator made.</summary>
public sealed class DistributionPointRegistrationTests
{
    private const string RegisterPath = "/api/v1/distribution-points/register";

    [Fact]
    public async Task SecondServer_WithTheAdminsToken_RegistersAsDp2_AndTheSiteListsItsUrlAndFingerprint()
    {
        await using var site = await DistributionPointServer.StartAsync();
        await using var dp2 = await DistributionPointServer.StartAsync();
        var token = await AdminCli.JsonAsync(site, "dp", "token", "--valid-hours", "2");
        var expires = token.GetProperty("expires").GetDateTimeOffset();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(119), TimeSpan.FromMinutes(121));

        var registered = await SiteRegistration.RegisterAsync(
            new SiteRegistrationOptions(site.Url, site.Started.CertificateFingerprint, token.GetProperty("token").GetString()!, "dp2"),
            dp2.Started.AdvertisedUrl,
            dp2.Started.CertificateFingerprint,
            CancellationToken.None);

        Assert.Equal("dp2", registered.DistributionPoint.Id);
        Assert.Equal(site.Started.SiteKeyFingerprint, SiteRegistration.KeyFingerprint(registered.SiteKey));
        using var admin = site.Http(DistributionPointServer.AdminToken);
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/v1/distribution-points");
        var listed = list.EnumerateArray().Single(dp => dp.GetProperty("id").GetString() == "dp2");
        Assert.Equal(dp2.Url.ToString(), listed.GetProperty("url").GetString());
        Assert.Equal(dp2.Started.CertificateFingerprint, listed.GetProperty("certificateFingerprint").GetString());
        Assert.False(listed.GetProperty("isLocal").GetBoolean());
        Assert.Contains(list.EnumerateArray(), dp => dp.GetProperty("id").GetString() == "local");

        var cli = await AdminCli.RunAsync(site, "dp", "list");
        cli.AssertSuccess();
        Assert.Contains("dp2", cli.Output, StringComparison.Ordinal);
        Assert.Contains(dp2.Started.CertificateFingerprint[..16], cli.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reregistering_WithANewUrl_KeepsTheFirstRegistrationTime()
    {
        await using var site = await DistributionPointServer.StartAsync();
        var token = await NewTokenAsync(site);
        using var http = site.Http(token);
        var first = await ReadAsync(await http.PostAsJsonAsync(RegisterPath, Body("dp2", "https://dp2.example:8443/")), HttpStatusCode.OK);
        var second = await ReadAsync(await http.PostAsJsonAsync(RegisterPath, Body("dp2", "https://dp2.example:9443/")), HttpStatusCode.OK);

        var before = first.GetProperty("distributionPoint");
        var after = second.GetProperty("distributionPoint");
        Assert.Equal("https://dp2.example:9443/", after.GetProperty("url").GetString());
        Assert.Equal(before.GetProperty("registered").GetDateTimeOffset(), after.GetProperty("registered").GetDateTimeOffset());
        Assert.True(after.GetProperty("lastSeen").GetDateTimeOffset() >= before.GetProperty("lastSeen").GetDateTimeOffset());
    }

    [Fact]
    public async Task Register_WithNoWrongAdminOrExpiredToken_Is401_AndListsNothingNew()
    {
        await using var site = await DistributionPointServer.StartAsync();
        var expired = "dcr_expired-token-for-this-test";
        await site.Site.Store.SetSettingAsync(
            "dp-registration-token:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(expired))),
            DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture),
            CancellationToken.None);

        foreach (var token in new[] { null, "dcr_not-a-token-the-site-made", DistributionPointServer.AdminToken, expired })
        {
            using var http = site.Http(token);
            using var response = await http.PostAsJsonAsync(RegisterPath, Body("dp2", "https://dp2.example:8443/"));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Registration token required", problem.GetProperty("title").GetString());
        }

        using var admin = site.Http(DistributionPointServer.AdminToken);
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/v1/distribution-points");
        Assert.DoesNotContain(list.EnumerateArray(), dp => dp.GetProperty("id").GetString() == "dp2");
    }

    [Fact]
    public async Task RegistrationHelper_WithAWrongToken_SaysTheSiteRefused()
    {
        await using var site = await DistributionPointServer.StartAsync();

        var refused = await Assert.ThrowsAsync<SiteRegistrationException>(() => SiteRegistration.RegisterAsync(
            new SiteRegistrationOptions(site.Url, site.Started.CertificateFingerprint, "dcr_wrong", "dp2"),
            new Uri("https://dp2.example:8443/"),
            new string('a', 64),
            CancellationToken.None));

        Assert.Contains("refused the registration (401)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("unknown or has expired", refused.Message, StringComparison.Ordinal);

        var token = await NewTokenAsync(site);
        var untrusted = await Assert.ThrowsAsync<SiteRegistrationException>(() => SiteRegistration.RegisterAsync(
            new SiteRegistrationOptions(site.Url, new string('0', 64), token, "dp2"),
            new Uri("https://dp2.example:8443/"),
            new string('a', 64),
            CancellationToken.None));
        Assert.Contains($"presented certificate {site.Started.CertificateFingerprint}", untrusted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_WithBadIdUrlOrFingerprint_Is400NamingEachField()
    {
        await using var site = await DistributionPointServer.StartAsync();
        using var http = site.Http(await NewTokenAsync(site));

        var errors = await ErrorsAsync(await http.PostAsJsonAsync(RegisterPath, new { id = "local", url = "http://dp2.example:8443/", certificateFingerprint = "abc123" }));
        Assert.Contains("site server's own distribution point", Assert.Single(errors["id"]), StringComparison.Ordinal);
        Assert.Contains("https://", Assert.Single(errors["url"]), StringComparison.Ordinal);
        Assert.Contains("64 hex digits", Assert.Single(errors["certificateFingerprint"]), StringComparison.Ordinal);

        errors = await ErrorsAsync(await http.PostAsJsonAsync(RegisterPath, new { id = "dp 2", url = "dp2.example", certificateFingerprint = new string('g', 64) }));
        Assert.Equal(new HashSet<string> { "id", "url", "certificateFingerprint" }, errors.Keys.ToHashSet());
    }

    [Fact]
    public async Task DpToken_PrintsTheTokenOnce_AndRefusesValidHoursOutOfRange()
    {
        await using var site = await DistributionPointServer.StartAsync();

        var made = await AdminCli.RunAsync(site, "dp", "token");
        made.AssertSuccess();
        var token = System.Text.RegularExpressions.Regex.Match(made.Output, @"Registration token \(shown once\): (dcr_\S+)").Groups[1].Value;
        Assert.True(await site.Site.IsDistributionPointTokenValidAsync(token, CancellationToken.None), made.Output);
        Assert.Contains("Expires: ", made.Output, StringComparison.Ordinal);

        var refused = await AdminCli.RunAsync(site, "dp", "token", "--valid-hours", "200");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("validHours (--valid-hours): validHours must be from 1 to 168", refused.Error, StringComparison.Ordinal);

        var noAdmin = await AdminCli.RunRawAsync("dp", "token", "--server", site.Url.ToString(), "--fingerprint", site.Started.CertificateFingerprint, "--token", "not-the-admin-token-at-all");
        Assert.Equal(1, noAdmin.ExitCode);
        Assert.Contains("Administrator token required", noAdmin.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedToken_RegistersNoMore_AndExpiredTokensAreDeleted()
    {
        await using var site = await DistributionPointServer.StartAsync();
        var expiredName = "dp-registration-token:" + new string('e', 64);
        await site.Site.Store.SetSettingAsync(expiredName, DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture), CancellationToken.None);
        var made = await AdminCli.JsonAsync(site, "dp", "token");
        var token = made.GetProperty("token").GetString()!;
        var id = made.GetProperty("id").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..12], id);
        Assert.Null(await site.Site.Store.GetSettingAsync(expiredName, CancellationToken.None));

        var listed = await AdminCli.RunAsync(site, "dp", "token", "list");
        listed.AssertSuccess();
        Assert.Contains(id, listed.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, listed.Output, StringComparison.Ordinal);

        using (var http = site.Http(token))
        {
            using var before = await http.PostAsJsonAsync(RegisterPath, Body("dp2", "https://dp2.example:8443/"));
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var revoked = await AdminCli.RunAsync(site, "dp", "token", "revoke", id);
        revoked.AssertSuccess();
        using (var http = site.Http(token))
        {
            using var after = await http.PostAsJsonAsync(RegisterPath, Body("dp3", "https://dp3.example:8443/"));
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        }

        var again = await AdminCli.RunAsync(site, "dp", "token", "revoke", id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("404", again.Error, StringComparison.Ordinal);
        var malformed = await AdminCli.RunAsync(site, "dp", "token", "revoke", "xyz");
        Assert.Equal(1, malformed.ExitCode);
        Assert.Contains("id (<id>): 'xyz' is neither a registration token id", malformed.Error, StringComparison.Ordinal);
        Assert.Empty((await AdminCli.JsonAsync(site, "dp", "token", "list")).EnumerateArray());
    }

    private static object Body(string id, string url) => new { id, url, certificateFingerprint = new string('a', 64) };

    private static async Task<string> NewTokenAsync(DistributionPointServer site)
    {
        using var admin = site.Http(DistributionPointServer.AdminToken);
        var made = await ReadAsync(await admin.PostAsJsonAsync("/api/v1/distribution-points/registration-tokens", new { }), HttpStatusCode.Created);
        var token = made.GetProperty("token").GetString()!;
        Assert.StartsWith("dcr_", token, StringComparison.Ordinal);
        return token;
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
    }

    private static async Task<Dictionary<string, string[]>> ErrorsAsync(HttpResponseMessage response) =>
        (await ReadAsync(response, HttpStatusCode.BadRequest)).GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
}
