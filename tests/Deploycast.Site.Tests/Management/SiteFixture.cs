using Deploycast.Site.Management;
using Deploycast.Site.Model;
using Deploycast.Site.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deploycast.Site.Tests.Management;

/// <summary>A <see cref="SiteManager"/> over a real SQLite site database in a temporary directory, with a clock the test sets.</summary>
internal sealed class SiteFixture : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("deploycast-site-").FullName;

    private SiteFixture(SiteOptions options)
    {
        Store = SiteStore.Open(new SiteStoreOptions { DataDirectory = _directory });
        Site = new SiteManager(Store, options, distributor: null, inspector: null, Clock, NullLogger<SiteManager>.Instance);
    }

    public ManualClock Clock { get; } = new(new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero));

    public ISiteStore Store { get; }

    public SiteManager Site { get; }

    public static async Task<SiteFixture> CreateAsync(SiteOptions? options = null)
    {
        var fixture = new SiteFixture(options ?? new SiteOptions());
        await fixture.Site.InitializeAsync(CancellationToken.None);
        return fixture;
    }

    /// <summary>Adds a package with one version held by the DP "dp1" (as a content import would leave it).</summary>
    public async Task<Package> AddPackageAsync(
        string id, ImageType type = ImageType.Raw, bool allowMulticast = true, bool encrypt = false, bool multicastOnly = false, int? imageCount = null)
    {
        var now = Clock.GetUtcNow();
        var package = new Package(id, $"Package {id}", null, type, 1, allowMulticast, encrypt, multicastOnly, now, now);
        await Store.AddPackageAsync(package, CancellationToken.None);
        await Store.AddPackageVersionAsync(new PackageVersion(id, 1, new string('a', 64), 1 << 20, "/images/" + id, imageCount, now), CancellationToken.None);
        if (await Store.GetDistributionPointAsync("dp1", CancellationToken.None) is null)
        {
            await Store.SaveDistributionPointAsync(new DistributionPointRecord("dp1", new Uri("https://198.18.0.1:8443/"), new string('f', 64), false, now, now), CancellationToken.None);
        }

        await Store.SaveDistributionStatusAsync(new DistributionStatus(id, 1, "dp1", DistributionState.Installed, null, now), CancellationToken.None);
        return package;
    }

    /// <summary>Imports one approved device.</summary>
    public async Task<Device> AddDeviceAsync(string name, string mac, string? ipv4 = null)
    {
        await Site.ImportDevicesAsync([new DeviceEntry(name, [mac])], CancellationToken.None);
        var device = (await Store.FindDevicesAsync([Identifiers.NormalizeMac(mac)!], null, CancellationToken.None)).Single();
        if (ipv4 is not null)
        {
            device = device with { IPv4Address = ipv4 };
            await Store.UpdateDeviceAsync(device, CancellationToken.None);
        }

        return device;
    }

    /// <summary>A one-step task sequence that applies <paramref name="packageId"/>.</summary>
    public Task<TaskSequence> ApplySequenceAsync(string packageId, string? imageIndex = null)
    {
        var parameters = new Dictionary<string, string> { ["package"] = packageId, ["destination"] = "/dev/sda" };
        if (imageIndex is not null)
        {
            parameters["imageIndex"] = imageIndex;
        }

        return Site.CreateTaskSequenceAsync(
            new TaskSequenceDefinition("Apply", Steps: [new TaskSequenceStep("Apply image", StepType.ApplyOperatingSystemImage, parameters)]),
            CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>A clock that moves only when the test moves it.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
