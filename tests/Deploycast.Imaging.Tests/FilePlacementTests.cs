using Deploycast.Imaging.Files;

namespace Deploycast.Imaging.Tests;

public sealed class FilePlacementTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Place_CopiesTheFile_ReplacingWhatWasThere_WithProgressToTheEnd()
    {
        var source = RandomFile("driverpack.zip", (3 << 20) + 17);
        var destination = _temp.Combine(Path.Combine("Drivers", "driverpack.zip"));
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.WriteAllText(destination, "old version");
        var progress = new RecordingProgress();

        FilePlacement.Place(source, destination, progress);

        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(destination));
        progress.AssertMonotonic();
        Assert.Equal(new ImageApplyProgress((3 << 20) + 17, (3 << 20) + 17, ImageApplyPhase.Done), progress.Reports[^1]);
        Assert.Equal(["driverpack.zip"], Directory.GetFiles(Path.GetDirectoryName(destination)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Place_Canceled_LeavesTheOldFile_AndNoPartialCopy()
    {
        var source = RandomFile("driverpack.zip", 8 << 20);
        var destination = _temp.Combine("placed.zip");
        File.WriteAllText(destination, "old version");
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress(report =>
        {
            if (report.CompletedBytes > 0)
            {
                cancellation.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => FilePlacement.Place(source, destination, progress, cancellation.Token));

        Assert.Equal("old version", File.ReadAllText(destination));
        Assert.Equal(["driverpack.zip", "placed.zip"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Place_OntoADirectory_IsRefused()
    {
        var source = RandomFile("a.bin", 10);

        var exception = Assert.Throws<ImageApplyException>(() => FilePlacement.Place(source, _temp.Path));

        Assert.Contains("that is a directory", exception.Message, StringComparison.Ordinal);
    }

    private string RandomFile(string name, int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        var path = _temp.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
