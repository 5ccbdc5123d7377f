using System.Net;
using Deploycast.IntegrationTests;
using Deploycast.Site.Model;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Deploycast.Console.Tests;

/// <summary>
/// The console's creation forms (task sequence, collection, package), its paged lists and the sign-in throttle, in a
/// real browser against a real server: each refusal's message shows next to the field the API names.
/// </summary>
public sealed class ConsoleFormsTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task TaskSequence_CreatedFromTheForm_StepsReorderedWithTheKeyboard_RefusedIndexShownAtItsField()
    {
        await using var site = await ConsoleSite.StartAsync();
        var packageId = await site.ImportFileAsync("Lab image", megabytes: 1);
        var page = await site.SignInAsync(browser, "task-sequences");
        var form = page.Locator("#ts-form");

        await form.GetByLabel("Name", new() { Exact = true }).FillAsync("Image the lab");
        var first = form.Locator("li.step").Nth(0);
        await first.GetByLabel("Package").SelectOptionAsync(packageId);
        await first.GetByLabel("Destination").FillAsync("%_DCDataDirectory%/image.bin");

        // A file package has no image index: the site refuses it, and says so under that field of that step.
        var index = first.GetByLabel("Image index");
        await index.FillAsync("2");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create task sequence" }).ClickAsync();
        await FieldError.ExpectAsync(index, first.Locator("[data-field=imageIndex] .field-error"), "has no image index");
        await DocScreenshots.TakeAsync(page, "task-sequence-form");
        await index.FillAsync(string.Empty);

        // A second step, moved before the first with the keyboard.
        await form.GetByRole(AriaRole.Button, new() { Name = "Add a step" }).ClickAsync();
        var second = form.Locator("li.step").Nth(1);
        await Expect(second.GetByLabel("Step type")).ToHaveValueAsync("RunCommandLine");
        await second.GetByLabel("Step name").FillAsync("Check the disk");
        await second.GetByLabel("Command line").FillAsync("echo checked");
        await form.GetByRole(AriaRole.Button, new() { Name = "Move step 2 up" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(form.Locator("li.step").Nth(0).GetByLabel("Step name")).ToHaveValueAsync("Check the disk");
        await Expect(form.GetByRole(AriaRole.Button, new() { Name = "Move step 1 down" })).ToBeFocusedAsync();
        await Expect(page.Locator("#announcer")).ToContainTextAsync("Step moved to position 1 of 2");

        await form.GetByRole(AriaRole.Button, new() { Name = "Create task sequence" }).ClickAsync();
        await Expect(page.Locator("#announcer")).ToContainTextAsync("Task sequence Image the lab created");
        var card = page.Locator("article.card").Filter(new() { HasText = "Image the lab" });
        await Expect(card).ToBeVisibleAsync();

        var created = (await site.GetAsync("/api/v1/task-sequences")).GetProperty("items")[0];
        var steps = created.GetProperty("steps");
        Assert.Equal("RunCommandLine", steps[0].GetProperty("type").GetString());
        Assert.Equal("echo checked", steps[0].GetProperty("parameters").GetProperty("commandLine").GetString());
        Assert.Equal("ApplyOperatingSystemImage", steps[1].GetProperty("type").GetString());
        Assert.Equal(packageId, steps[1].GetProperty("parameters").GetProperty("package").GetString());
        Assert.False(steps[1].GetProperty("parameters").TryGetProperty("imageIndex", out _));
    }

    [Fact]
    public async Task Collection_CreatedFromTheForm_WithARuleAndADirectMember_BadRuleShownAtItsField()
    {
        await using var site = await ConsoleSite.StartAsync();
        await site.ImportDevicesAsync("LAB-PC-01", "LAB-PC-02", "OFFICE-01");
        var page = await site.SignInAsync(browser, "collections");
        var form = page.Locator("#collection-form");

        await form.GetByLabel("Name", new() { Exact = true }).FillAsync("Lab and office");
        await form.GetByRole(AriaRole.Button, new() { Name = "Add a rule" }).ClickAsync();
        var rule = form.Locator("fieldset.rule").Nth(0);
        await rule.GetByLabel("Kind").SelectOptionAsync("MacPrefix");
        await rule.GetByLabel("Value").FillAsync("zz");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create collection" }).ClickAsync();
        await FieldError.ExpectAsync(rule.GetByLabel("Value"), rule.Locator("[data-field=value] .field-error"), "'zz' is not a MAC prefix");
        await DocScreenshots.TakeAsync(page, "collection-form");

        await rule.GetByLabel("Kind").SelectOptionAsync("NamePattern");
        await rule.GetByLabel("Value").FillAsync("LAB-PC-*");
        await form.GetByLabel("Direct members").SelectOptionAsync(new SelectOptionValue { Label = await form.GetByLabel("Direct members").Locator("option", new() { HasText = "OFFICE-01" }).TextContentAsync() });
        await form.GetByRole(AriaRole.Button, new() { Name = "Create collection" }).ClickAsync();
        await Expect(page.Locator("#announcer")).ToContainTextAsync("Collection Lab and office created");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Lab and office" });
        await Expect(row).ToContainTextAsync("LAB-PC-*");

        var id = (await site.GetAsync("/api/v1/collections")).GetProperty("items").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "Lab and office").GetProperty("id").GetString();
        var members = (await site.GetAsync($"/api/v1/collections/{id}/members")).EnumerateArray().Select(d => d.GetProperty("name").GetString()).Order();
        Assert.Equal(["LAB-PC-01", "LAB-PC-02", "OFFICE-01"], members);
    }

    [Fact]
    public async Task Package_ImportedFromAPathOnTheServer_RelativePathShownAtItsField()
    {
        await using var site = await ConsoleSite.StartAsync();
        var path = site.Server.Directory.RandomFile("win11.bin", 1 << 20, seed: 11);
        var page = await site.SignInAsync(browser, "packages");
        var form = page.Locator("#package-form");

        await form.GetByLabel("Name", new() { Exact = true }).FillAsync("Windows 11 lab");
        var source = form.GetByLabel("Image file on the server");
        await source.FillAsync("images/win11.bin");
        await form.GetByRole(AriaRole.Button, new() { Name = "Import package" }).ClickAsync();
        await FieldError.ExpectAsync(source, form.Locator("[data-field=sourcePath] .field-error"), "must be an absolute path");
        await DocScreenshots.TakeAsync(page, "package-form");

        await source.FillAsync(path);
        await form.GetByLabel("Encrypt multicast packages").CheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Import package" }).ClickAsync();
        await Expect(form.GetByRole(AriaRole.Status)).ToContainTextAsync("Imported as DC");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Windows 11 lab" });
        await Expect(row).ToContainTextAsync("Installed version 1 on local");
        await Expect(row.GetByRole(AriaRole.Checkbox, new() { NameRegex = new("^Encrypt multicast packages") })).ToBeCheckedAsync();
    }

    [Fact]
    public async Task Paging_DevicesDeploymentsAndStatusMessages_APageAtATime()
    {
        await using var site = await ConsoleSite.StartAsync();
        await site.ImportDevicesAsync(Enumerable.Range(1, 60).Select(i => $"LAB-PC-{i:D3}").ToArray());
        var sequence = await site.CreateTaskSequenceAsync("Check", new
        {
            name = "Check the disk",
            type = "RunCommandLine",
            parameters = new Dictionary<string, string> { ["commandLine"] = "true" },
        });
        var deployments = new List<string>();
        for (var i = 1; i <= 30; i++)
        {
            var collection = await site.CreateCollectionAsync($"Lab {i}", $"LAB-PC-{i:D3}");
            deployments.Add((await site.PostAsync("/api/v1/deployments", new { taskSequenceId = sequence, collectionId = collection })).GetProperty("id").GetString()!);
        }

        for (var i = 1; i <= 60; i++)
        {
            await site.Server.Site.RecordStatusAsync(new StatusMessage(0, DateTimeOffset.UtcNow.AddMinutes(i - 100), StatusSource.Agent, 11000 + i,
                StatusSeverity.Informational, "TaskSequence", $"Message number {i:D2}", DeploymentId: deployments[0]), CancellationToken.None);
        }

        // Devices: 50 a page.
        var page = await site.SignInAsync(browser, "collections");
        var devices = page.GetByRole(AriaRole.Navigation, new() { Name = "Devices pages" });
        await Expect(devices).ToContainTextAsync("1–50 of 60");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "LAB-PC-050" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "LAB-PC-051" })).ToHaveCountAsync(0);
        await Expect(devices.GetByRole(AriaRole.Button, new() { Name = "Previous page of Devices" })).ToBeDisabledAsync();
        await devices.GetByRole(AriaRole.Button, new() { Name = "Next page of Devices" }).ClickAsync();
        await Expect(devices).ToContainTextAsync("51–60 of 60");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "LAB-PC-060" })).ToBeVisibleAsync();
        await Expect(devices.GetByRole(AriaRole.Button, new() { Name = "Next page of Devices" })).ToBeDisabledAsync();

        // Deployments: 25 a page, newest first.
        await page.GetByRole(AriaRole.Link, new() { Name = "Deployments" }).ClickAsync();
        var list = page.GetByRole(AriaRole.Navigation, new() { Name = "Deployments pages" });
        await Expect(list).ToContainTextAsync("1–25 of 30");
        await Expect(page.Locator("tbody tr").First).ToContainTextAsync(deployments[^1]);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = deployments[0], Exact = true })).ToHaveCountAsync(0);
        await list.GetByRole(AriaRole.Button, new() { Name = "Next page of Deployments" }).ClickAsync();
        await Expect(list).ToContainTextAsync("26–30 of 30");
        await Expect(page.Locator("tbody tr").Last).ToContainTextAsync(deployments[0]);

        // A deployment's status messages: 50 a page, newest first.
        await page.GetByRole(AriaRole.Link, new() { Name = deployments[0], Exact = true }).ClickAsync();
        var messages = page.GetByRole(AriaRole.Navigation, new() { Name = "Status messages pages" });
        await Expect(messages).ToContainTextAsync("1–50 of 60");
        await Expect(page.GetByText("Message number 60")).ToBeVisibleAsync();
        await messages.GetByRole(AriaRole.Button, new() { Name = "Next page of Status messages" }).ClickAsync();
        await Expect(messages).ToContainTextAsync("51–60 of 60");
        await Expect(page.GetByText("Message number 01")).ToBeVisibleAsync();
        await Expect(page.GetByText("Message number 60")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task SignIn_RepeatedWrongTokens_AreRefusedWith429AndRetryAfter_TheConsoleShowsTheWait()
    {
        await using var site = await ConsoleSite.StartAsync();
        var page = await browser.NewPageAsync(site.Server.Url);
        await page.GotoAsync("/");
        var token = page.GetByLabel("Administrator token");
        for (var i = 0; i < 5; i++)
        {
            await token.FillAsync($"wrong-{i}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not this server's administrator token");
        }

        // The sixth try, even with the right token, waits: the answer would otherwise tell a guesser which guess was right.
        await token.FillAsync(DistributionPointServer.AdminToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("5 wrong tokens were entered from this address");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Wait ");
        await Expect(page.GetByRole(AriaRole.Navigation)).ToBeHiddenAsync();

        var refused = await page.APIRequest.PostAsync("/api/v1/console/sign-in", new() { DataObject = new { token = DistributionPointServer.AdminToken } });
        Assert.Equal((int)HttpStatusCode.TooManyRequests, refused.Status);
        Assert.InRange(int.Parse(refused.Headers["retry-after"], System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.StartsWith("application/problem+json", refused.Headers["content-type"], StringComparison.Ordinal);
        Assert.Contains("Too many sign-in attempts", await refused.TextAsync(), StringComparison.Ordinal);

        // The bearer token of the CLI and API is not throttled by the console's sign-in.
        Assert.Equal(0, (await site.GetAsync("/api/v1/devices")).GetProperty("total").GetInt32());
    }
}
