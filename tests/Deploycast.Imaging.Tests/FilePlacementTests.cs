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

    [Fact]
    public void Place_FromAStream_WritesItsBytes_WithProgressToTheEnd()
    {
        var bytes = new byte[(2 << 20) + 5];
        new Random(3).NextBytes(bytes);
        var destination = _temp.Combine("streamed.bin");
        var progress = new RecordingProgress();

        FilePlacement.Place(new MemoryStream(bytes), bytes.Length, destination, progress);

        Assert.Equal(bytes, File.ReadAllBytes(destination));
        progress.AssertMonotonic();
        Assert.Equal(new ImageApplyProgress(bytes.Length, bytes.Length, ImageApplyPhase.Done), progress.Reports[^1]);
    }

    [Fact]
    public void Place_FromAStreamThatFails_ThrowsItsFailure_AndLeavesTheOldFile()
    {
        var bytes = new byte[3 << 20];
        var destination = _temp.Combine("placed.bin");
        File.WriteAllText(destination, "old version");
        var failure = new InvalidDataException("block 7 does not match the signed manifest");

        var thrown = Assert.Throws<InvalidDataException>(() => FilePlacement.Place(new FailingAfter(bytes, 1 << 20, failure), bytes.Length, destination));

        Assert.Same(failure, thrown);
        Assert.Equal("old version", File.ReadAllText(destination));
        Assert.Equal(["placed.bin"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Place_FromAStreamThatEndsEarly_IsRefused_AndLeavesTheOldFile()
    {
        var destination = _temp.Combine("placed.bin");
        File.WriteAllText(destination, "old version");

        var exception = Assert.Throws<ImageApplyException>(() => FilePlacement.Place(new MemoryStream(new byte[1000]), 2000, destination));

        Assert.Contains("ended early", exception.Message, StringComparison.Ordinal);
        Assert.Equal("old version", File.ReadAllText(destination));
        Assert.Equal(["placed.bin"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
    }

    private string RandomFile(string name, int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        var path = _temp.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Reads <c>failAt</c> bytes of <c>bytes</c>, then throws <c>failure</c>.</summary>
    private sealed class FailingAfter(byte[] bytes, int failAt, Exception failure) : MemoryStream(bytes, 0, failAt)
    {
        public override int Read(Span<byte> buffer)
        {
            var read = base.Read(buffer);
            return read > 0 || buffer.IsEmpty ? read : throw failure;
        }
    }
}
