using System.Security.Cryptography;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Tests.Content;

/// <summary>Policy records for content tests.</summary>
internal static class ContentTestData
{
    public static PolicyContent Package(
        bool multicast = true, bool unicast = true, bool multicastOnly = false, ImageType type = ImageType.Raw,
        string contentId = "", long size = 0, params PolicyDistributionPoint[] dps) =>
        new("DC100001", 1, "Lab image", type, contentId.Length == 0 ? new string('a', 64) : contentId, size,
            multicast, false, multicastOnly, unicast, dps);

    public static PolicyContent PackageOf(byte[] bytes, ImageType type = ImageType.Raw, params PolicyDistributionPoint[] dps) =>
        Package(contentId: Convert.ToHexStringLower(SHA256.HashData(bytes)), size: bytes.Length, type: type, dps: dps);

    public static PolicyDeployment Deployment(ContentOption option, params PolicyContent[] content) =>
        new("DC400001", DeploymentPurpose.Required, null, null, true, option, true,
            new TaskSequence("DC300001", "Apply", null, [], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch), content);

    /// <summary>A DP nobody listens on: any attempt to reach it fails, so a test using it proves no network was needed.</summary>
    public static PolicyDistributionPoint Unreachable { get; } = new("nowhere", new Uri("https://127.0.0.1:1/"), new string('0', 64));

    public static AgentOptions Options(string dataDirectory) => new()
    {
        Server = new Uri("https://127.0.0.1:1/"),
        DataDirectory = dataDirectory,
        DeviceName = "minint-test",
    };
}

/// <summary>A temporary directory removed at dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("deploycast-agent-content-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}

/// <summary>Collects progress synchronously.</summary>
internal sealed class ProgressLog<T> : IProgress<T>
{
    public List<T> Reports { get; } = [];

    public void Report(T value)
    {
        lock (Reports)
        {
            Reports.Add(value);
        }
    }
}
