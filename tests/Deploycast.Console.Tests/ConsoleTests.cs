using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Deploycast.DistributionPoint.Settings;
using Deploycast.IntegrationTests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Deploycast.Console.Tests;

/// <summary>
/// The web console in a real browser (Debian's Chromium, headless) against a real server on loopback: what an
/// administrator does and sees.
/// </summary>
public sealed class ConsoleTests(Browser browser) : IClassFixture<Browser>
{
    private static readonly TimeSpan AgentTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task SignIn_WrongTokenShowsAnError_RightTokenOpensTheConsole_SignOutEndsIt()
    {
        await using var site = await ConsoleSite.StartAsync();
        var page = await browser.NewPageAsync(site.Server.Url);
        await page.GotoAsync("/");

        var token = page.GetByLabel("Administrator token");
        await token.FillAsync("not-the-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not this server's administrator token");
        await Expect(token).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByRole(AriaRole.Navigation)).ToBeHiddenAsync();
        await DocScreenshots.TakeAsync(page, "sign-in");

        await token.FillAsync(DistributionPointServer.AdminToken);
        await token.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Multicast sessions" })).ToBeVisibleAsync();

        // The cookie is HttpOnly, Secure and SameSite=Strict, and holds no token.
        var cookie = Assert.Single(await page.Context.CookiesAsync());
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(DistributionPointServer.AdminToken, cookie.Value, StringComparison.Ordinal);

        // A reload keeps the sign-in; sign-out ends it, and the old cookie no longer opens the API.
        await page.ReloadAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("Administrator token")).ToBeVisibleAsync();
        using var http = site.Server.Http();
        http.DefaultRequestHeaders.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        using var after = await http.GetAsync("/api/v1/dp/multicast");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task CookieSignedChange_WithoutTheConsoleHeader_IsRefused()
    {
        await using var site = await ConsoleSite.StartAsync();
        var page = await site.SignInAsync(browser);

        // A request as a forged cross-site form would send it: the cookie, but not the console's header.
        var forged = await page.APIRequest.PostAsync("/api/v1/devices", new() { DataObject = new { devices = new[] { new { name = "EVIL", macAddresses = new[] { "02:00:00:00:66:66" } } } } });
        Assert.Equal(403, forged.Status);
        Assert.Contains("X-Deploycast-Console", await forged.TextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await site.GetAsync("/api/v1/devices")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task DistributionPoint_ChangedSettingIsSaved_BadSettingShowsItsMessageNextToTheField()
    {
        await using var site = await ConsoleSite.StartAsync();
        var page = await site.SignInAsync(browser, "dp");

        var maximum = page.GetByLabel("Maximum clients");
        await Expect(maximum).ToHaveValueAsync("100");
        await maximum.FillAsync("42");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();
        await Expect(page.GetByText("Settings saved.", new() { Exact = true })).ToBeVisibleAsync();
        Assert.Equal(42, site.Server.Role.Settings.MaximumClients);
        await page.ReloadAsync();
        await Expect(page.GetByLabel("Maximum clients")).ToHaveValueAsync("42");
        await DocScreenshots.TakeAsync(page, "distribution-point");

        var rate = page.GetByLabel("Client transfer rate (bits per second)");
        await rate.FillAsync("5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();
        await FieldError.ExpectAsync(rate, page.Locator("[data-field=clientTransferRate] .field-error"), "ClientTransferRate must be between 1000000");
        await Expect(page.Locator("[data-field=maximumClients] .field-error")).ToBeHiddenAsync();
        Assert.Null(site.Server.Role.Settings.ClientTransferRate);
        await DocScreenshots.TakeAsync(page, "distribution-point-error");
    }

    [Fact]
    public async Task Devices_UnknownComputerWaits_ApproveButtonApprovesIt()
    {
        await using var site = await ConsoleSite.StartAsync();
        var id = await site.RegisterUnknownComputerAsync("MININT-NEW01");
        await site.ImportDevicesAsync("LAB-PC-01", "LAB-PC-02");
        var page = await site.SignInAsync(browser, "collections");

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "MININT-NEW01" });
        await Expect(row).ToContainTextAsync("Pending");
        await Expect(row).ToContainTextAsync("unknown computer");
        await DocScreenshots.TakeAsync(page, "collections-and-devices");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve MININT-NEW01" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Approved");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Approve MININT-NEW01" })).ToBeDisabledAsync();
        Assert.Equal("Approved", (await site.GetAsync($"/api/v1/devices/{id}")).GetProperty("approval").GetString());
    }

    [Fact]
    public async Task Packages_MulticastOptionToggle_IsSaved_AndDistributionStatusShows()
    {
        await using var site = await ConsoleSite.StartAsync();
        var packageId = await site.ImportFileAsync("Windows 11 lab image", megabytes: 1);
        var page = await site.SignInAsync(browser, "packages");

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = packageId });
        await Expect(row).ToContainTextAsync("Installed version 1 on local");
        var encrypt = page.GetByRole(AriaRole.Checkbox, new() { Name = $"Encrypt multicast packages: {packageId}" });
        await Expect(encrypt).Not.ToBeCheckedAsync();
        await encrypt.CheckAsync();
        await Expect(page.Locator("#announcer")).ToContainTextAsync("Encrypt multicast packages is on");
        Assert.True((await site.GetAsync($"/api/v1/packages/{packageId}")).GetProperty("package").GetProperty("encryptMulticast").GetBoolean());

        // Encryption needs multicast: turning multicast off is refused, the message is shown in the package's row, and
        // the box shows what the server kept.
        var allow = page.GetByRole(AriaRole.Checkbox, new() { Name = $"Allow this package to be transferred via multicast: {packageId}" });
        await allow.ClickAsync();
        await Expect(row.Locator(".field-error")).ToContainTextAsync("Encrypting multicast needs a package that allows multicast");
        await Expect(allow).ToBeCheckedAsync();
        Assert.True((await site.GetAsync($"/api/v1/packages/{packageId}")).GetProperty("package").GetProperty("allowMulticast").GetBoolean());
        await DocScreenshots.TakeAsync(page, "packages");
    }

    [Fact]
    public async Task DeployFromTheConsole_ThenWatchTheLiveSession_EveryClientReaches100Percent()
    {
        await using var site = await ConsoleSite.StartAsync();

        // Slow enough to watch progress move, fast enough for a test: 12 MiB at 40 Mbit/s takes about 2.5 s.
        Assert.Empty(site.Server.Role.UpdateSettings(site.Server.Role.Settings with { ClientTransferRate = 40_000_000 }));
        var packageId = await site.ImportFileAsync("Lab image", megabytes: 12);
        var computers = await site.ImportDevicesAsync("LAB-PC-01", "LAB-PC-02", "LAB-PC-03");
        var sequence = await site.CreateTaskSequenceAsync("Image the lab", new
        {
            name = "Apply the lab image",
            type = "ApplyOperatingSystemImage",
            parameters = new Dictionary<string, string> { ["package"] = packageId, ["destination"] = "%_DCDataDirectory%/image.bin" },
        });
        var collection = await site.CreateCollectionAsync("Lab computers", "LAB-PC-*");

        var page = await site.SignInAsync(browser, "task-sequences");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show 1 step" }).ClickAsync();
        await Expect(page.GetByText("Apply the lab image")).ToBeVisibleAsync();
        await DocScreenshots.TakeAsync(page, "task-sequences");

        await page.GetByRole(AriaRole.Link, new() { Name = "Deployments" }).ClickAsync();
        await page.GetByLabel("Task sequence", new() { Exact = true }).SelectOptionAsync(sequence);
        await page.GetByLabel("Collection", new() { Exact = true }).SelectOptionAsync(collection);
        await page.GetByLabel("Purpose", new() { Exact = true }).SelectOptionAsync("Required");
        await page.GetByRole(AriaRole.Button, new() { Name = "Deploy", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Image the lab → Lab computers" })).ToBeVisibleAsync();
        var deploymentId = (await site.GetAsync("/api/v1/deployments")).GetProperty("items")[0].GetProperty("id").GetString()!;
        await Expect(page.Locator(".tile-Unknown .tile-count")).ToHaveTextAsync("3");

        await page.GetByRole(AriaRole.Link, new() { Name = "Multicast sessions" }).ClickAsync();
        await Expect(page.GetByText("Live", new() { Exact = true })).ToBeVisibleAsync();
        var agents = computers.Select(c => site.StartAgent(c.Name, c.Mac)).ToList();
        try
        {
            var session = page.Locator("article.session").Filter(new() { HasText = packageId });
            await Expect(session).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await DocScreenshotsWhenMovingAsync(page, session);

            // Every client of the session reaches 100% and Completed, live, without a reload.
            foreach (var (name, _) in computers)
            {
                var row = session.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
                await Expect(row.Locator(".percent")).ToHaveTextAsync("100%", new() { Timeout = 120_000 });
                await Expect(row).ToContainTextAsync("Completed");
                await Expect(row.Locator("progress")).ToHaveAttributeAsync("value", "100");
            }

            await Expect(session.Locator("tbody tr")).ToHaveCountAsync(3);
            Assert.NotEmpty(await session.Locator("svg.rate-chart polyline").GetAttributeAsync("points") ?? string.Empty);

            foreach (var agent in agents)
            {
                Assert.True(0 == await agent.WaitAsync(AgentTimeout), agent.Output);
            }
        }
        finally
        {
            foreach (var agent in agents)
            {
                agent.Dispose();
            }
        }

        foreach (var (name, _) in computers)
        {
            Assert.Equal(await File.ReadAllBytesAsync(site.Server.Directory.File("Lab image.bin")), await File.ReadAllBytesAsync(Path.Combine(site.AgentData(name), "image.bin")));
        }

        // The deployment's page counts them as ConfigMgr does.
        await page.GetByRole(AriaRole.Link, new() { Name = "Deployments" }).ClickAsync();
        var deploymentRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = deploymentId });
        await Expect(deploymentRow.Locator("td.count-Success")).ToHaveTextAsync("3");
        await DocScreenshots.TakeAsync(page, "deployments");
        await deploymentRow.GetByRole(AriaRole.Link, new() { Name = deploymentId }).ClickAsync();
        await Expect(page.Locator(".tile-Success .tile-count")).ToHaveTextAsync("3");
        await Expect(page.Locator(".tile-Error .tile-count")).ToHaveTextAsync("0");
        await Expect(DeviceStates(page).GetByRole(AriaRole.Row).Filter(new() { HasText = "LAB-PC-02" })).ToContainTextAsync("Success");
        await DocScreenshots.TakeAsync(page, "deployment-status");
    }

    [Fact]
    public async Task FailedDeployment_ShowsTheErrorMessageOnTheDeploymentsPage()
    {
        await using var site = await ConsoleSite.StartAsync();
        var computer = Assert.Single(await site.ImportDevicesAsync("LAB-PC-09"));
        var sequence = await site.CreateTaskSequenceAsync("Check the disk", new
        {
            name = "Run the disk check",
            type = "RunCommandLine",
            parameters = new Dictionary<string, string> { ["commandLine"] = "exit 7" },
        });
        var collection = await site.CreateCollectionAsync("Check", "LAB-PC-09");
        var deploymentId = (await site.PostAsync("/api/v1/deployments", new { taskSequenceId = sequence, collectionId = collection, purpose = "Required" })).GetProperty("id").GetString()!;

        var page = await site.SignInAsync(browser, $"deployments/{deploymentId}");
        await Expect(page.Locator(".tile-Unknown .tile-count")).ToHaveTextAsync("1");
        using (var agent = site.StartAgent(computer.Name, computer.Mac))
        {
            Assert.NotEqual(0, await agent.WaitAsync(AgentTimeout));
        }

        // The page follows the status stream: no reload.
        await Expect(page.Locator(".tile-Error .tile-count")).ToHaveTextAsync("1");
        var row = DeviceStates(page).GetByRole(AriaRole.Row).Filter(new() { HasText = "LAB-PC-09" });
        await Expect(row).ToContainTextAsync("Error");
        await Expect(row.Locator("td.message")).ToContainTextAsync("exited with code 7");
        await Expect(page.Locator("tr.severity-Error").First).ToContainTextAsync("exited with code 7");
    }

    [Fact]
    public async Task ScheduledSession_StartNowStartsIt_DisconnectSendsTheClientToUnicast()
    {
        await using var site = await ConsoleSite.StartAsync();
        Assert.Empty(site.Server.Role.UpdateSettings(site.Server.Role.Settings with
        {
            ScheduledMulticast = true,
            MinimumSessionSize = 5,
            SessionStartDelayMinutes = 30,
        }));
        var packageId = await site.ImportFileAsync("Scheduled image", megabytes: 1);
        var page = await site.SignInAsync(browser);

        // A client asks: the scheduled session waits for four more.
        using (var client = site.Server.Http(DistributionPointServer.ClientToken))
        {
            using var response = await client.PostAsJsonAsync("/api/v1/dp/sessions", new { clientId = "LAB-PC-07", packageId, version = 1 });
            var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("wait", answer.GetProperty("decision").GetString());
        }

        var session = page.Locator("article.session").Filter(new() { HasText = packageId });
        await Expect(session.Locator("header .badge")).ToHaveTextAsync("Waiting");
        var row = session.GetByRole(AriaRole.Row).Filter(new() { HasText = "LAB-PC-07" });
        await Expect(row).ToContainTextAsync("Waiting for the session to start");

        await session.GetByRole(AriaRole.Button, new() { Name = "Start now" }).ClickAsync();
        await Expect(session.Locator("header .badge")).ToHaveTextAsync("Running");
        await Expect(session.GetByRole(AriaRole.Button, new() { Name = "Start now" })).ToBeHiddenAsync();
        await Expect(row).ToContainTextAsync("Joined");

        await page.GetByRole(AriaRole.Button, new() { Name = "Disconnect LAB-PC-07" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Fell back to unicast");
        await Expect(row).ToContainTextAsync("disconnected by an administrator");
        await Expect(page.Locator(".messages")).ToContainTextAsync("was disconnected from multicast session");

        // The client, asking again, is sent to unicast.
        using (var client = site.Server.Http(DistributionPointServer.ClientToken))
        {
            using var response = await client.PostAsJsonAsync("/api/v1/dp/sessions", new { clientId = "LAB-PC-07", packageId, version = 1 });
            var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("unicast", answer.GetProperty("decision").GetString());
        }
    }

    private static ILocator DeviceStates(IPage page) => page.GetByRole(AriaRole.Table, new() { Name = "Each targeted device's state" });

    /// <summary>Takes the sessions screenshot while the transfer is visibly under way, when screenshots are wanted.</summary>
    private static async Task DocScreenshotsWhenMovingAsync(IPage page, ILocator session)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DEPLOYCAST_CONSOLE_SCREENSHOTS")))
        {
            return;
        }

        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            var percents = await session.Locator(".percent").AllTextContentsAsync();
            if (percents.Count == 3 && percents.Any(p => Regex.IsMatch(p, "^[1-9][0-9]?%$")))
            {
                break;
            }

            await Task.Delay(100);
        }

        await DocScreenshots.TakeAsync(page, "multicast-sessions");
    }
}
