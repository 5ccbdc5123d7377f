using Deploycast.Content.Library;

namespace Deploycast.Content.Tests.Library;

public sealed class ContentLibraryValidationTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const int Block = ContentLibraryOptions.DefaultBlockSize;
    private readonly TestLibrary _lab = new();

    private ContentLibrary Library => _lab.Library;

    private async Task<ContentItem> ImportAsync(long size = (20 * Block) + 1000, int seed = 1)
    {
        var source = _lab.Temp.RandomFile($"image-{seed}.wim", size, seed);
        return await Library.ImportAsync(source, null, CancellationToken.None);
    }

    /// <summary>Changes one byte in place, as a failing disk would: the last-write time is put back.</summary>
    private static void FlipByteSilently(string path, long offset)
    {
        var lastWrite = File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset;
            var value = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(value ^ 0x01));
        }

        File.SetLastWriteTimeUtc(path, lastWrite);
    }

    [Fact]
    public async Task Validate_GoodContent_ReportsValid()
    {
        var item = await ImportAsync();

        var report = await Library.ValidateAsync(null, CancellationToken.None);

        var result = Assert.Single(report.Items);
        Assert.Equal(item.ContentId, result.ContentId);
        Assert.Equal(ContentState.Valid, result.State);
        Assert.Empty(result.BadBlocks);
        Assert.Contains("all 21 blocks", result.Message, StringComparison.Ordinal);
        Assert.True(report.AllValid);
        Assert.True(Library.IsServable(item));
    }

    [Fact]
    public async Task Validate_AfterOneByteChangedOnDisk_ReportsCorruptNamingTheBlockAndStopsServingIt()
    {
        var item = await ImportAsync();
        FlipByteSilently(item.DataPath, (17L * Block) + 5000);

        // The length and last-write time did not change: only reading the data finds this.
        Assert.True(Library.IsServable(item));

        var report = await Library.ValidateAsync(null, CancellationToken.None);

        var result = Assert.Single(report.Items);
        Assert.Equal(ContentState.Corrupt, result.State);
        Assert.Equal([17], result.BadBlocks);
        Assert.Equal("block 17 (bytes 3,102,976-3,285,503) does not match its SHA-256", result.Message);
        Assert.False(report.AllValid);
        Assert.False(Library.IsServable(item));
        Assert.Equal(ContentState.Corrupt, Library.Get(item.ContentId)!.State);
        var error = Assert.Throws<ContentUnavailableException>(() => Library.OpenRead(item.ContentId));
        Assert.Equal(ContentState.Corrupt, error.State);
        Assert.Contains(item.ContentId, error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
        Assert.Contains("block 17", error.Message, StringComparison.Ordinal);

        // Kept on disk for an administrator to look at.
        Assert.True(File.Exists(item.DataPath));
    }

    [Fact]
    public async Task Validate_CorruptContentRepairedOnDisk_IsServableOnlyAfterTheNextValidation()
    {
        var item = await ImportAsync();
        var offset = (3L * Block) + 7;
        FlipByteSilently(item.DataPath, offset);
        await Library.ValidateAsync(item.ContentId, null, CancellationToken.None);

        FlipByteSilently(item.DataPath, offset);
        Assert.False(Library.IsServable(item));

        var report = await Library.ValidateAsync(item.ContentId, null, CancellationToken.None);

        Assert.Equal(ContentState.Valid, Assert.Single(report.Items).State);
        Assert.True(Library.IsServable(item));
    }

    [Fact]
    public async Task Validate_DataInAZeroBlock_ReportsTheBlockShouldBeZero()
    {
        var source = _lab.Temp.FileWithData("disk.raw", 10L * Block, seed: 2, (0, 1000));
        var item = await Library.ImportAsync(source, null, CancellationToken.None);
        Assert.True(item.Manifest.IsZeroBlock(4));
        FlipByteSilently(item.DataPath, (4L * Block) + 10);

        var result = Assert.Single((await Library.ValidateAsync(null, CancellationToken.None)).Items);

        Assert.Equal(ContentState.Corrupt, result.State);
        Assert.Equal("block 4 (bytes 730,112-912,639) should be all zeros but is not", result.Message);
    }

    [Fact]
    public async Task Validate_ManyBadBlocks_CountsAllAndListsACappedNumber()
    {
        using var lab = new TestLibrary(blockSize: 4096);
        var small = await lab.Library.ImportAsync(lab.Temp.RandomFile("image.wim", 150L * 4096, seed: 3), null, CancellationToken.None);
        for (var block = 0; block < 150; block++)
        {
            FlipByteSilently(small.DataPath, (block * 4096L) + 1);
        }

        var result = Assert.Single((await lab.Library.ValidateAsync(null, CancellationToken.None)).Items);

        Assert.Equal(150, result.BadBlockCount);
        Assert.Equal(ValidationReport.MaxBadBlocksListed, result.BadBlocks.Count);
        Assert.Equal(Enumerable.Range(0, ValidationReport.MaxBadBlocksListed), result.BadBlocks);
        Assert.StartsWith("150 of 150 blocks do not match the manifest: block 0 (bytes 0-4,095) does not match its SHA-256; block 1", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_FindingCorruptionOnAFullDisk_StillStopsServingIt()
    {
        using var temp = new TempDirectory();
        if (temp.TryMountSmallTmpfs("4m", output) is not { } mount)
        {
            return;
        }

        try
        {
            using (var library = new ContentLibrary(new ContentLibraryOptions { Root = mount }, _lab.Key))
            {
                var item = await library.ImportAsync(temp.RandomFile("image.wim", 2 * Block, seed: 4), null, CancellationToken.None);
                FlipByteSilently(item.DataPath, Block + 1);
                try
                {
                    await using var filler = File.Create(Path.Combine(mount, "filler"));
                    var chunk = new byte[64 * 1024];
                    while (true)
                    {
                        await filler.WriteAsync(chunk);
                        await filler.FlushAsync();
                    }
                }
                catch (IOException)
                {
                }

                var result = Assert.Single((await library.ValidateAsync(null, CancellationToken.None)).Items);

                Assert.Equal(ContentState.Corrupt, result.State);
                Assert.Contains("could not be recorded", result.Message, StringComparison.Ordinal);
                Assert.False(library.IsServable(item));
                Assert.Throws<ContentUnavailableException>(() => library.OpenRead(item.ContentId));
            }
        }
        finally
        {
            TempDirectory.RunExitCode("umount", mount);
        }
    }

    [Fact]
    public async Task ChangedLastWriteTime_MakesContentUnservableUntilValidated()
    {
        var item = await ImportAsync();
        File.SetLastWriteTimeUtc(item.DataPath, DateTime.UtcNow.AddMinutes(5));

        Assert.False(Library.IsServable(item));
        Assert.Equal(ContentState.Unverified, Library.Get(item.ContentId)!.State);
        var error = Assert.Throws<ContentUnavailableException>(() => Library.OpenRead(item.ContentId));
        Assert.Equal(ContentState.Unverified, error.State);
        Assert.Contains(item.ContentId, error.Message, StringComparison.Ordinal);
        Assert.Contains("changed since it was last validated", error.Message, StringComparison.Ordinal);
        Assert.Contains("run content validation", error.Message, StringComparison.Ordinal);

        var result = Assert.Single((await Library.ValidateAsync(null, CancellationToken.None)).Items);

        Assert.Equal(ContentState.Valid, result.State);
        Assert.True(Library.IsServable(item));
        Library.OpenRead(item.ContentId).Dispose();
    }

    [Fact]
    public async Task ChangedLength_MakesContentUnservable_AndValidationFindsItCorrupt()
    {
        var item = await ImportAsync();
        File.AppendAllText(item.DataPath, "x");

        Assert.False(Library.IsServable(item));
        Assert.Contains("length", Library.Get(item.ContentId)!.StateMessage, StringComparison.Ordinal);

        var result = Assert.Single((await Library.ValidateAsync(null, CancellationToken.None)).Items);

        Assert.Equal(ContentState.Corrupt, result.State);
        Assert.Contains("is 3,651,561 bytes; the manifest says 3,651,560", result.Message, StringComparison.Ordinal);
        Assert.False(Library.IsServable(item));
    }

    [Fact]
    public async Task DeletedDataFile_IsMissing()
    {
        var item = await ImportAsync();
        File.Delete(item.DataPath);

        Assert.Equal(ContentState.Missing, Library.Get(item.ContentId)!.State);
        Assert.False(Library.IsServable(item));
        var error = Assert.Throws<ContentUnavailableException>(() => Library.OpenRead(item.ContentId));
        Assert.Equal(ContentState.Missing, error.State);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);

        var result = Assert.Single((await Library.ValidateAsync(null, CancellationToken.None)).Items);

        Assert.Equal(ContentState.Missing, result.State);
        Assert.Contains(item.DataPath, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TamperedSignature_MakesContentCorrupt()
    {
        var item = await ImportAsync();
        var signaturePath = _lab.ItemFile(item.ContentId, "manifest.sig");
        var signature = await File.ReadAllBytesAsync(signaturePath);
        signature[20] ^= 0x01;
        await File.WriteAllBytesAsync(signaturePath, signature);

        var loaded = Library.Get(item.ContentId)!;
        Assert.Equal(ContentState.Corrupt, loaded.State);
        Assert.Contains("signature does not verify", loaded.StateMessage, StringComparison.Ordinal);
        Assert.False(Library.IsServable(item));

        var result = Assert.Single((await Library.ValidateAsync(null, CancellationToken.None)).Items);

        Assert.Equal(ContentState.Corrupt, result.State);
        Assert.Contains("signature does not verify", result.Message, StringComparison.Ordinal);
        Assert.Throws<ContentUnavailableException>(() => Library.OpenRead(item.ContentId));
    }

    [Fact]
    public async Task ManifestOfOtherContentWithItsValidSignature_MakesContentCorrupt()
    {
        var item = await ImportAsync(seed: 1);
        var other = await ImportAsync(seed: 2);
        File.Copy(_lab.ItemFile(other.ContentId, "manifest"), _lab.ItemFile(item.ContentId, "manifest"), overwrite: true);
        File.Copy(_lab.ItemFile(other.ContentId, "manifest.sig"), _lab.ItemFile(item.ContentId, "manifest.sig"), overwrite: true);

        var loaded = Library.Get(item.ContentId)!;

        Assert.Equal(ContentState.Corrupt, loaded.State);
        Assert.Contains($"describes content {other.ContentId}", loaded.StateMessage, StringComparison.Ordinal);
        Assert.True(Library.IsServable(other));
    }

    [Fact]
    public async Task ContentSignedByAnotherSiteKey_IsCorrupt()
    {
        var item = await ImportAsync();
        _lab.Library.Dispose();
        using var otherKey = Content.Signing.SiteKey.LoadOrCreate(_lab.Temp.File("other-key"));
        using var library = new ContentLibrary(new ContentLibraryOptions { Root = _lab.Root }, otherKey);

        var loaded = library.Get(item.ContentId)!;

        Assert.Equal(ContentState.Corrupt, loaded.State);
        Assert.Contains("site key was replaced", loaded.StateMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LostInfoFile_MakesContentUnverifiedUntilValidated()
    {
        var item = await ImportAsync();
        File.WriteAllText(_lab.ItemFile(item.ContentId, "info.json"), "{ not json");

        Assert.Equal(ContentState.Unverified, Library.Get(item.ContentId)!.State);
        Assert.False(Library.IsServable(item));

        await Library.ValidateAsync(item.ContentId, null, CancellationToken.None);

        Assert.True(Library.IsServable(item));
    }

    [Fact]
    public async Task Validate_ReportsProgressOverAllItems()
    {
        var first = await ImportAsync(size: 6L * 1024 * 1024, seed: 1);
        var second = await ImportAsync(size: 5L * 1024 * 1024, seed: 2);
        var progress = new RecordingProgress();

        await Library.ValidateAsync(progress, CancellationToken.None);

        var total = first.Size + second.Size;
        Assert.All(progress.Reports, r => Assert.Equal(total, r.TotalBytes));
        Assert.Equal(total, progress.Reports[^1].BytesRead);
        Assert.Contains(progress.Reports, r => r.ContentId == first.ContentId);
        Assert.Contains(progress.Reports, r => r.ContentId == second.ContentId);
        for (var i = 1; i < progress.Reports.Count; i++)
        {
            Assert.InRange(progress.Reports[i].BytesRead - progress.Reports[i - 1].BytesRead, 0, 4L * 1024 * 1024);
        }
    }

    [Fact]
    public async Task Validate_UnknownContent_FailsSayingItIsNotInTheLibrary()
    {
        var id = new string('a', 64);

        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() => Library.ValidateAsync(id, null, CancellationToken.None));

        Assert.Null(error.State);
        Assert.Contains($"Content {id} is not in the content library", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678")]
    public void Get_WithMalformedId_FailsNamingIt(string id)
    {
        var error = Assert.Throws<ArgumentException>(() => Library.Get(id));
        Assert.Equal("contentId", error.ParamName);
        Assert.Contains($"'{id}' is not a content id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_UnknownContent_ReturnsNull()
    {
        Assert.Null(Library.Get(new string('0', 64)));
        var error = Assert.Throws<ContentUnavailableException>(() => Library.OpenRead(new string('0', 64)));
        Assert.Null(error.State);
    }

    [Fact]
    public async Task List_And_Delete_SeeAndRemoveItems()
    {
        var first = await ImportAsync(seed: 1);
        var second = await ImportAsync(seed: 2);

        Assert.Equal(new[] { first.ContentId, second.ContentId }.Order(StringComparer.Ordinal), Library.List().Select(i => i.ContentId));

        Assert.True(Library.Delete(first.ContentId));
        Assert.False(Library.Delete(first.ContentId));
        Assert.Null(Library.Get(first.ContentId));
        Assert.False(Directory.Exists(Path.GetDirectoryName(first.DataPath)));
        Assert.Equal([second.ContentId], Library.List().Select(i => i.ContentId));
        Assert.Empty(_lab.StagingEntries());
    }

    [Fact]
    public async Task OpenRead_ValidContent_ReadsTheStoredBytes()
    {
        var item = await ImportAsync();

        await using var stream = Library.OpenRead(item.ContentId);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(await File.ReadAllBytesAsync(_lab.Temp.File("image-1.wim")), copy.ToArray());
    }

    public void Dispose() => _lab.Dispose();
}
