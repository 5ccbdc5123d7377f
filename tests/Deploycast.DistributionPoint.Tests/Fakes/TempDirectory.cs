namespace Deploycast.DistributionPoint.Tests.Fakes;

/// <summary>A fresh directory per test for lock files, so tests never share group/port pairs.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("deploycast-dp-test-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A lock file still held by a failed test; the temporary directory is cleaned up eventually.
        }
    }
}
