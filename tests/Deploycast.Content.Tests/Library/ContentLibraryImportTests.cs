using System.Security.Cryptography;
using Deploycast.Content.Library;
using Deploycast.Content.Signing;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Content.Tests.Library;

public sealed class ContentLibraryImportTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int Block = ContentLibraryOptions.DefaultBlockSize;
    private readonly TestLibrary _lab = new();

    private ContentLibrary Library => _lab.Library;

    [Fact]
    public async Task Import_RandomFile_StoresItByItsSha256WithAManifestThatVerifiesEveryBlock()
    {
        // Several blocks and a short last block.
        var source = _lab.Temp.RandomFile("image.wim", (7 * Block) + 12_345, seed: 1);
        var bytes = await File.ReadAllBytesAsync(source);

        var item = await Library.ImportAsync(source, null, CancellationToken.None);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), item.ContentId);
        Assert.Equal(bytes.Length, item.Size);
        Assert.Equal(Block, item.BlockSize);
        Assert.Equal(8, item.Manifest.BlockCount);
        Assert.Equal(12_345, item.Manifest.BlockLength(7));
        for (var block = 0; block < item.Manifest.BlockCount; block++)
        {
            Assert.True(item.Manifest.VerifyBlock(block, bytes.AsSpan(block * Block, item.Manifest.BlockLength(block))), $"block {block}");
        }

        Assert.Equal(ContentState.Valid, item.State);
        Assert.True(Library.IsServable(item));
        Assert.Equal(_lab.ItemFile(item.ContentId, "data"), item.DataPath);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(item.DataPath));
        Assert.Equal(item.ManifestBytes, await File.ReadAllBytesAsync(_lab.ItemFile(item.ContentId, "manifest")));
        Assert.Equal(item.Signature, await File.ReadAllBytesAsync(_lab.ItemFile(item.ContentId, "manifest.sig")));
        Assert.True(File.Exists(_lab.ItemFile(item.ContentId, "info.json")));
        Assert.Empty(_lab.StagingEntries());
    }

    [Fact]
    public async Task Import_SignsTheManifestWithTheSiteKey()
    {
        var source = _lab.Temp.RandomFile("image.wim", 3 * Block, seed: 2);

        var item = await Library.ImportAsync(source, null, CancellationToken.None);

        Assert.True(ManifestSignature.Verify(_lab.Key.PublicKeySpki, item.ManifestBytes, item.Signature));
        var parsed = TransferManifest.TryParse(item.ManifestBytes, out _);
        Assert.NotNull(parsed);
        Assert.Equal(item.ContentId, Convert.ToHexStringLower(parsed.FileHash));
    }

    [Theory]
    [InlineData(0, 4096)]
    [InlineData(1, 4096)]
    [InlineData(4096, 4096)]
    [InlineData(4097, 4096)]
    [InlineData((4 << 20) + 5000, 4096)] // more than one 4 MiB chunk
    [InlineData((25 * Block) + 17, Block)]
    [InlineData(9 * 1024 * 1024, 1_000_000)] // chunks of 4 blocks, a short last chunk and block
    public async Task Import_BuildsTheSameManifestAsTransferManifestBuildAsync(int size, int blockSize)
    {
        using var lab = new TestLibrary(blockSize);
        var data = new byte[size];
        new Random(size).NextBytes(data);

        // Zero blocks at the start, across the first chunk boundary and at the end (a short zero last block).
        Array.Clear(data, 0, Math.Min(size, 3 * blockSize));
        if (size > (4 << 20) + blockSize)
        {
            Array.Clear(data, (4 << 20) - blockSize, 2 * blockSize);
        }

        if (size > blockSize * 4)
        {
            var lastBlockLength = size % blockSize == 0 ? blockSize : size % blockSize;
            Array.Clear(data, size - lastBlockLength, lastBlockLength);
        }

        var source = lab.Temp.File("image.raw");
        await File.WriteAllBytesAsync(source, data);
        var expected = await TransferManifest.BuildAsync(new MemoryStream(data), blockSize, null, CancellationToken.None);

        var item = await lab.Library.ImportAsync(source, null, CancellationToken.None);

        Assert.Equal(expected.Serialize(), item.ManifestBytes);
        Assert.Equal(expected.ZeroBytes, item.ZeroBytes);
        Assert.Equal(data, await File.ReadAllBytesAsync(item.DataPath));
    }

    [Fact]
    public async Task Import_ManifestParsesWithTransferManifest_AndRoundTripsByteEqual()
    {
        // Data, a zero region and a short data block at the end.
        var source = _lab.Temp.FileWithData("disk.raw", (6L * Block) + 999, seed: 4, (0, Block + 10), ((6L * Block) + 1, 998));
        var bytes = await File.ReadAllBytesAsync(source);

        var item = await Library.ImportAsync(source, null, CancellationToken.None);

        var parsed = TransferManifest.TryParse(item.ManifestBytes, out var error);
        Assert.Null(error);
        Assert.NotNull(parsed);
        Assert.Equal(item.ManifestBytes, parsed.Serialize());
        Assert.Equal(item.ManifestBytes, item.Manifest.Serialize());
        Assert.Equal(item.ManifestBytes, await File.ReadAllBytesAsync(_lab.ItemFile(item.ContentId, "manifest")));
        Assert.Equal(bytes.Length, parsed.FileSize);
        Assert.Equal(Block, parsed.BlockSize);
        Assert.True(parsed.FileHash.SequenceEqual(SHA256.HashData(bytes)));
        Assert.Equal([false, false, true, true, true, true, false], Enumerable.Range(0, parsed.BlockCount).Select(parsed.IsZeroBlock));
        for (var block = 0; block < parsed.BlockCount; block++)
        {
            Assert.True(parsed.VerifyBlock(block, bytes.AsSpan(block * Block, parsed.BlockLength(block))), $"block {block}");
        }
    }

    [Fact]
    public async Task Import_FileWithLargeZeroRegions_CountsZeroBytesAndStoresASparseCopy()
    {
        const long size = 64L * 1024 * 1024;
        var source = _lab.Temp.FileWithData("disk.raw", size, seed: 3,
            (0, 1_000_000), (20_000_000, 2_000_000), (size - 300_000, 300_000));
        var expected = await TransferManifest.BuildAsync(File.OpenRead(source), Block, null, CancellationToken.None);

        var item = await Library.ImportAsync(source, null, CancellationToken.None);

        Assert.Equal(expected.ZeroBytes, item.ZeroBytes);
        Assert.True(item.ZeroBytes > size - 4_000_000, $"zero bytes {item.ZeroBytes:N0}");
        Assert.True(item.Manifest.IsZeroBlock(50));
        Assert.False(item.Manifest.IsZeroBlock(0));
        Assert.True(FilesEqual(source, item.DataPath));
        if (OperatingSystem.IsLinux())
        {
            // 3.3 MB of data: the stored copy must take about that, not 64 MB.
            var allocated = TempDirectory.AllocatedBytes(item.DataPath);
            Assert.True(allocated < 5_000_000, $"the stored copy allocates {allocated:N0} bytes of {size:N0}");
        }
    }

    [Fact]
    public async Task Import_SameContentTwice_ReturnsTheStoredItem()
    {
        var source = _lab.Temp.RandomFile("image.wim", 2 * Block, seed: 4);
        var first = await Library.ImportAsync(source, null, CancellationToken.None);
        var copy = _lab.Temp.File("copy-with-another-name.wim");
        File.Copy(source, copy);
        var lastWrite = File.GetLastWriteTimeUtc(first.DataPath);

        var second = await Library.ImportAsync(copy, null, CancellationToken.None);

        Assert.Equal(first.ContentId, second.ContentId);
        Assert.Equal(first.ImportedAt, second.ImportedAt);
        Assert.Equal(lastWrite, File.GetLastWriteTimeUtc(second.DataPath));
        Assert.Single(Library.List());
        Assert.Empty(_lab.StagingEntries());
    }

    [Fact]
    public async Task Import_OverACorruptStoredCopy_ReplacesIt()
    {
        var source = _lab.Temp.RandomFile("image.wim", 4 * Block, seed: 5);
        var item = await Library.ImportAsync(source, null, CancellationToken.None);
        await using (var data = new FileStream(item.DataPath, FileMode.Open, FileAccess.Write))
        {
            data.Position = 1000;
            data.WriteByte(0x55);
        }

        await Library.ValidateAsync(item.ContentId, null, CancellationToken.None);
        Assert.Equal(ContentState.Corrupt, Library.Get(item.ContentId)!.State);

        var repaired = await Library.ImportAsync(source, null, CancellationToken.None);

        Assert.Equal(ContentState.Valid, repaired.State);
        Assert.True(FilesEqual(source, repaired.DataPath));
        Assert.Empty(_lab.StagingEntries());
    }

    [Fact]
    public async Task Import_ReportsProgressAtLeastEveryFewMegabytesEndingAtTheFileSize()
    {
        const long size = (20L * 1024 * 1024) + 999;
        var source = _lab.Temp.RandomFile("image.wim", size, seed: 6);
        var progress = new RecordingProgress();

        await Library.ImportAsync(source, progress, CancellationToken.None);

        var reports = progress.Reports;
        Assert.Equal(new ImportProgress(0, size), reports[0]);
        Assert.Equal(new ImportProgress(size, size), reports[^1]);
        Assert.All(reports, r => Assert.Equal(size, r.TotalBytes));
        for (var i = 1; i < reports.Count; i++)
        {
            var step = reports[i].BytesRead - reports[i - 1].BytesRead;
            Assert.InRange(step, 1, 4L * 1024 * 1024);
        }
    }

    [Fact]
    public async Task Import_MissingSource_FailsNamingThePath()
    {
        var missing = _lab.Temp.File("no-such-image.wim");

        var error = await Assert.ThrowsAsync<ContentImportException>(() => Library.ImportAsync(missing, null, CancellationToken.None));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Equal(missing, error.SourcePath);
        Assert.Empty(_lab.StagingEntries());
    }

    [Fact]
    public async Task Import_Directory_FailsSayingItIsNotARegularFile()
    {
        var directory = _lab.Temp.File("images");
        Directory.CreateDirectory(directory);

        var error = await Assert.ThrowsAsync<ContentImportException>(() => Library.ImportAsync(directory, null, CancellationToken.None));

        Assert.Contains(directory, error.Message, StringComparison.Ordinal);
        Assert.Contains("directory, not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_NamedPipe_FailsAtOnceInsteadOfWaitingForAWriter()
    {
        if (!OperatingSystem.IsLinux())
        {
            output.WriteLine("SKIPPED: named pipes are made with mkfifo on Linux");
            return;
        }

        var fifo = _lab.Temp.File("pipe");
        TempDirectory.Run("mkfifo", fifo);

        var import = Library.ImportAsync(fifo, null, CancellationToken.None);
        var finished = await Task.WhenAny(import, Task.Delay(TimeSpan.FromSeconds(30)));

        Assert.Same(import, finished);
        var error = await Assert.ThrowsAsync<ContentImportException>(() => import);
        Assert.Contains("FIFO (named pipe), not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_Canceled_LeavesNothingInStagingOrTheLibrary()
    {
        var source = _lab.Temp.RandomFile("image.wim", 24L * 1024 * 1024, seed: 7);
        using var cancel = new CancellationTokenSource();
        var progress = new RecordingProgress(p =>
        {
            if (p.BytesRead > 0)
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Library.ImportAsync(source, progress, cancel.Token));

        Assert.True(progress.Reports[^1].BytesRead < 24L * 1024 * 1024);
        Assert.Empty(_lab.StagingEntries());
        Assert.Empty(_lab.ContentEntries());
        Assert.Empty(Library.List());
    }

    [Fact]
    public async Task Import_SourceChangingWhileRead_FailsAndKeepsNothing()
    {
        var source = _lab.Temp.RandomFile("image.wim", 12L * 1024 * 1024, seed: 8);
        var appended = false;
        var progress = new RecordingProgress(p =>
        {
            if (p.BytesRead > 0 && !appended)
            {
                appended = true;
                File.AppendAllText(source, "more");
            }
        });

        var error = await Assert.ThrowsAsync<ContentImportException>(() => Library.ImportAsync(source, progress, CancellationToken.None));

        Assert.Contains("changed while it was being read", error.Message, StringComparison.Ordinal);
        Assert.Contains(source, error.Message, StringComparison.Ordinal);
        Assert.Empty(_lab.StagingEntries());
        Assert.Empty(_lab.ContentEntries());
    }

    [Fact]
    public async Task Import_OntoAFullDisk_SaysSoAndLeavesNothingBehind()
    {
        using var temp = new TempDirectory();
        if (temp.TryMountSmallTmpfs("2m", output) is not { } mount)
        {
            return;
        }

        try
        {
            var source = temp.RandomFile("image.wim", 6L * 1024 * 1024, seed: 9);
            using var library = new ContentLibrary(new ContentLibraryOptions { Root = mount }, _lab.Key);

            var error = await Assert.ThrowsAsync<ContentImportException>(() => library.ImportAsync(source, null, CancellationToken.None));

            Assert.True(error.DiskFull, error.ToString());
            Assert.Contains("disk is full", error.Message, StringComparison.Ordinal);
            Assert.Contains(source, error.Message, StringComparison.Ordinal);
            Assert.Contains(mount, error.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(mount, "staging")));
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(mount, "content")));
        }
        finally
        {
            TempDirectory.RunExitCode("umount", mount);
        }
    }

    [Fact]
    public async Task Library_ReopenedLater_ServesWhatItStored()
    {
        var source = _lab.Temp.RandomFile("image.wim", 3 * Block, seed: 10);
        var item = await Library.ImportAsync(source, null, CancellationToken.None);

        _lab.Reopen();

        var again = _lab.Library.Get(item.ContentId);
        Assert.NotNull(again);
        Assert.Equal(ContentState.Valid, again.State);
        Assert.Equal(item.ImportedAt, again.ImportedAt);
        await using var stream = _lab.Library.OpenRead(item.ContentId);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(await File.ReadAllBytesAsync(source), copy.ToArray());
    }

    [Fact]
    public void Library_OpenedTwice_RefusesTheSecondOwner()
    {
        var error = Assert.Throws<IOException>(() => _lab.Open());
        Assert.Contains("already open", error.Message, StringComparison.Ordinal);
        Assert.Contains(_lab.Root, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Library_AtOpen_RemovesWhatAnInterruptedImportLeft()
    {
        var leftover = Path.Combine(_lab.Root, "staging", "import-0123456789abcdef");
        Directory.CreateDirectory(leftover);
        File.WriteAllText(Path.Combine(leftover, "data"), "half an image");

        _lab.Reopen();

        Assert.Empty(_lab.StagingEntries());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(64 * 1024 * 1024)]
    public void Options_WithBlockSizeOutOfRange_FailNamingTheSetting(int blockSize)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ContentLibrary(new ContentLibraryOptions { Root = _lab.Temp.File("other"), BlockSize = blockSize }, _lab.Key));
        Assert.Contains("ContentLibraryOptions.BlockSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_WithoutRoot_FailNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => new ContentLibrary(new ContentLibraryOptions(), _lab.Key));
        Assert.Contains("ContentLibraryOptions.Root", error.Message, StringComparison.Ordinal);
    }

    private static bool FilesEqual(string a, string b)
    {
        using var first = File.OpenRead(a);
        using var second = File.OpenRead(b);
        return first.Length == second.Length && SHA256.HashData(first).AsSpan().SequenceEqual(SHA256.HashData(second));
    }

    public void Dispose() => _lab.Dispose();
}
