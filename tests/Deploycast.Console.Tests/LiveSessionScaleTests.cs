using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.IntegrationTests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Deploycast.Console.Tests;

/// <summary>
/// One live multicast session with hundreds of clients on the sessions page: every client's row reaches 100% and
/// Completed, live, and the test measures what that costs (events and bytes the server sends, the browser's time per
/// update, its heap). The clients are the real receiver protocol over the in-memory network
/// (<see cref="SimulatedMulticastSessions"/>), behind the DP's real scheduler and API.
/// </summary>
/// <remarks>
/// <c>DEPLOYCAST_CONSOLE_CLIENTS</c> sets the number of clients (default 400); <c>DEPLOYCAST_CONSOLE_BENCHMARK</c>
/// names a file the figures are appended to (docs/benchmarks.md quotes them). The figures are measurements, not
/// asserts; the test asserts what an administrator sees.
/// </remarks>
public sealed class LiveSessionScaleTests(Browser browser, ITestOutputHelper output) : IClassFixture<Browser>
{
    private const int ContentBytes = 256 << 10;
    private const long Rate = 100_000;

    private static readonly int Clients =
        int.TryParse(Environment.GetEnvironmentVariable("DEPLOYCAST_CONSOLE_CLIENTS"), CultureInfo.InvariantCulture, out var clients) ? clients : 400;

    [Fact]
    public async Task LiveSession_WithHundredsOfClients_EveryRowReaches100Percent_WithCoalescedUpdates()
    {
        string? packagePath = null;
        var simulated = new SimulatedMulticastSessions(_ => File.ReadAllBytes(packagePath!), Rate, symbolsPerBlock: 8);
        await using var site = await ConsoleSite.StartAsync(services => services.Replace(ServiceDescriptor.Singleton<IMulticastSessionFactory>(simulated)));
        Assert.Empty(site.Server.Role.UpdateSettings(site.Server.Role.Settings with
        {
            MaximumClients = 1000,
            SessionIdleTimeout = TimeSpan.FromMinutes(5),
        }));
        var packageId = await site.ImportFileAsync("Lab image", megabytes: 0, bytes: ContentBytes);
        packagePath = site.Server.Directory.File("Lab image.bin");
        var page = await site.SignInAsync(browser);
        await Expect(page.GetByText("Live", new() { Exact = true })).ToBeVisibleAsync();

        await using var meter = await SessionStreamMeter.StartAsync(site.Server.Http(DistributionPointServer.AdminToken));
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Performance.enable");
        var browserBefore = await BrowserMetricsAsync(cdp);
        var streamBefore = meter.Read();

        // The clients ask for the package, 16 at a time, as agents would, and start receiving when told to join.
        using (var dp = site.Server.Http(DistributionPointServer.ClientToken))
        {
            await Parallel.ForEachAsync(Enumerable.Range(1, Clients), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancel) =>
            {
                using var response = await dp.PostAsJsonAsync("/api/v1/dp/sessions", new { clientId = ClientName(i), packageId, version = 1 }, cancel);
                var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel)).RootElement;
                Assert.Equal("join", answer.GetProperty("decision").GetString());
                var session = answer.GetProperty("session");

                // Loss from 0 to 4.5% per client: the loss column differs, every client still completes.
                simulated[session.GetProperty("sessionId").GetUInt32()].AddReceiver(session.GetProperty("receiverId").GetUInt32(), loss: i % 10 * 0.005);
            });
        }

        var card = page.Locator("article.session").Filter(new() { HasText = packageId });
        await Expect(card.Locator("tbody tr")).ToHaveCountAsync(Clients, new() { Timeout = 60_000 });
        await card.Locator("tbody").EvaluateAsync("body => { for (const tr of body.rows) tr.deploycastOriginal = true; }");
        await DocScreenshotsWhenHalfwayAsync(page, card);

        // Measure without Playwright polling the page meanwhile: wait on the server until every client has completed,
        // give the page time for the next list (at most a second apart) and a frame, then read the figures.
        var watch = Stopwatch.StartNew();
        while (!site.Server.Role.Scheduler.GetSessions().Any(s => s.PackageId == packageId && s.Clients.Count == Clients
            && s.Clients.All(c => c.State == SessionClientState.Completed)))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromMinutes(3), "the clients did not all complete within 3 minutes");
            await Task.Delay(200);
        }

        await Task.Delay(1500);
        var streamAfter = meter.Read();
        var browserAfter = await BrowserMetricsAsync(cdp);

        // Every client reaches 100% and Completed, live.
        await Expect(card.Locator("tbody .badge.client-Completed")).ToHaveCountAsync(Clients);
        await Expect(card.Locator("tbody .percent").GetByText("100%", new() { Exact = true })).ToHaveCountAsync(Clients);
        await Expect(card.Locator("tbody progress[value='100']")).ToHaveCountAsync(Clients);
        await Expect(card.Locator(".facts")).ToContainTextAsync($"{Clients} (0 active, {Clients} completed)");

        // Rows are updated in place: every row is still the element it was when all clients had joined.
        Assert.Equal(Clients, await card.Locator("tbody").EvaluateAsync<int>("body => [...body.rows].filter(tr => tr.deploycastOriginal).length"));
        var renders = await page.EvaluateAsync<double[]>("performance.getEntriesByName('deploycast:render-sessions').map(e => e.duration)");
        var heap = await page.EvaluateAsync<double>("performance.memory ? performance.memory.usedJSHeapSize : 0");
        var nodes = await page.EvaluateAsync<int>("document.getElementsByTagName('*').length");
        Report(streamBefore, streamAfter, browserBefore, browserAfter, renders, heap, nodes);

        // Coalesced: at most one list per 250 ms however many clients changed (one list per client event would be
        // several times more with this many clients joining and completing).
        var seconds = Stopwatch.GetElapsedTime(streamBefore.Timestamp, streamAfter.Timestamp).TotalSeconds;
        var lists = streamAfter.Counts.GetValueOrDefault("sessions").Events - streamBefore.Counts.GetValueOrDefault("sessions").Events;
        Assert.InRange(lists, 1, (int)(seconds * 4) + 2);
    }

    private static string ClientName(int i) => $"LAB-PC-{i:D4}";

    private void Report(
        (long Timestamp, IReadOnlyDictionary<string, (int Events, long Bytes, int Largest)> Counts) before,
        (long Timestamp, IReadOnlyDictionary<string, (int Events, long Bytes, int Largest)> Counts) after,
        IReadOnlyDictionary<string, double> browserBefore,
        IReadOnlyDictionary<string, double> browserAfter,
        double[] renders,
        double heap,
        int nodes)
    {
        var seconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"clients: {Clients}; watched for {seconds:0.0} s, from the first request until every client had completed (and 1.5 s more)");
        foreach (var type in after.Counts.Keys.Order())
        {
            var (events, bytes, largest) = after.Counts[type];
            var (eventsBefore, bytesBefore, _) = before.Counts.GetValueOrDefault(type);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"server → browser, '{type}' events: {events - eventsBefore} ({(events - eventsBefore) / seconds:0.0}/s), {(bytes - bytesBefore) / 1024.0 / seconds:0.0} KiB/s, largest {largest / 1024.0:0.0} KiB");
        }

        Array.Sort(renders);
        if (renders.Length > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"browser renders of the sessions page: {renders.Length}, median {Percentile(renders, 0.5):0.0} ms, 95th percentile {Percentile(renders, 0.95):0.0} ms, longest {renders[^1]:0.0} ms (script and DOM changes)");
        }

        double Busy(string metric) => (browserAfter.GetValueOrDefault(metric) - browserBefore.GetValueOrDefault(metric)) / seconds * 100;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"browser main thread busy: {Busy("TaskDuration"):0.0}% of the time (nothing else polling it; script {Busy("ScriptDuration"):0.0}%, style {Busy("RecalcStyleDuration"):0.0}%, layout {Busy("LayoutDuration"):0.0}%)");
        text.AppendLine(CultureInfo.InvariantCulture, $"browser JS heap at the end: {heap / 1048576:0.0} MiB; DOM elements: {nodes}");
        output.WriteLine(text.ToString());
        if (Environment.GetEnvironmentVariable("DEPLOYCAST_CONSOLE_BENCHMARK") is { Length: > 0 } file)
        {
            File.AppendAllText(file, text.ToString());
        }
    }

    private static double Percentile(double[] sorted, double fraction) => sorted[Math.Min(sorted.Length - 1, (int)(fraction * sorted.Length))];

    private static async Task<IReadOnlyDictionary<string, double>> BrowserMetricsAsync(ICDPSession cdp)
    {
        var result = await cdp.SendAsync("Performance.getMetrics");
        return result!.Value.GetProperty("metrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
    }

    /// <summary>The sessions screenshot for docs/console.md, when wanted: hundreds of clients half-way.</summary>
    private static async Task DocScreenshotsWhenHalfwayAsync(IPage page, ILocator card)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DEPLOYCAST_CONSOLE_SCREENSHOTS")))
        {
            return;
        }

        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60) && !(await card.Locator("tbody tr").First.Locator(".percent").TextContentAsync() ?? "0%").StartsWith('5'))
        {
            await Task.Delay(200);
        }

        await DocScreenshots.TakeAsync(page, "multicast-sessions-many-clients");
    }
}
