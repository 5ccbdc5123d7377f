using System.Security.Cryptography;
using Deploycast.Multicast.Storage;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Multicast.Tests;

/// <summary>
/// The receiver's output file: what its final check finds when the disk does not return what was written, for blocks
/// written ahead of the prefix (checked against their write-time checksum) and blocks kept from an earlier run
/// (checked against their SHA-256).
/// </summary>
public sealed class FileReceiverStoreTests : IDisposable
{
    private const int BlockSize = 4096;
    private readonly string _directory = Directory.CreateTempSubdirectory("dc-store-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A store begun on a new output for <paramref name="content"/>, as a receiver begins once it has the manifest.</summary>
    private async Task<(TransferManifest Manifest, FileReceiverStore Store, string Path)> BeginAsync(byte[] content, string name)
    {
        var manifest = await TransferManifest.BuildAsync(new MemoryStream(content), BlockSize, null, CancellationToken.None);
        var bytes = manifest.Serialize();
        var path = Path.Combine(_directory, name);
        var store = new FileReceiverStore(path);
        store.Begin(SHA256.HashData(bytes), bytes, manifest, receiverId: 7);
        return (manifest, store, path);
    }

    [Fact]
    public async Task BlockChangedOnDiskAfterItWasWrittenOutOfOrder_IsFoundByTheFinalCheck_AndOnlyThatBlockIsAskedForAgain()
    {
        var content = RandomNumberGenerator.GetBytes((BlockSize * 4) + 100);
        var (manifest, store, path) = await BeginAsync(content, "out.img");
        using var _ = store;

        // Blocks 2 and 3 arrive before 0 and 1, so the whole-file hash reads them back from the disk later.
        foreach (var block in new[] { 2, 3, 4 })
        {
            store.WriteBlock(block, (long)block * BlockSize, content.AsSpan(block * BlockSize, manifest.BlockLength(block)));
        }

        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Position = (3 * BlockSize) + 10;
            file.WriteByte((byte)(content[(3 * BlockSize) + 10] ^ 0xFF));
        }

        foreach (var block in new[] { 0, 1 })
        {
            store.WriteBlock(block, (long)block * BlockSize, content.AsSpan(block * BlockSize, BlockSize));
        }

        Assert.Equal([3], store.VerifyFile(manifest, null));

        // Fetched again and written, the file checks out whole.
        store.WriteBlock(3, 3L * BlockSize, content.AsSpan(3 * BlockSize, BlockSize));
        Assert.Empty(store.VerifyFile(manifest, null));
        store.Complete();
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task BlocksWrittenInAnyOrder_PassTheFinalCheck()
    {
        var content = RandomNumberGenerator.GetBytes((BlockSize * 6) + 1);
        var (manifest, store, path) = await BeginAsync(content, "any-order.img");
        using var _ = store;
        foreach (var block in new[] { 5, 0, 3, 1, 6, 2, 4 })
        {
            store.WriteBlock(block, (long)block * BlockSize, content.AsSpan(block * BlockSize, manifest.BlockLength(block)));
        }

        Assert.Empty(store.VerifyFile(manifest, null));
        store.Complete();
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task OutputOfSeveralWritebackSteps_WrittenOutOfOrderWithCheckpoints_CompletesByteEqual()
    {
        // 40 MiB in 1 MiB blocks: background writeback starts every 8 MiB written, alongside checkpoints, and the store
        // must still check, complete and close without losing or failing anything.
        const int blockSize = 1 << 20;
        var content = RandomNumberGenerator.GetBytes((blockSize * 40) + 123);
        var manifest = await TransferManifest.BuildAsync(new MemoryStream(content), blockSize, null, CancellationToken.None);
        var bytes = manifest.Serialize();
        var path = Path.Combine(_directory, "writeback.img");
        using var store = new FileReceiverStore(path);
        store.Begin(SHA256.HashData(bytes), bytes, manifest, receiverId: 9);
        var order = Enumerable.Range(0, manifest.BlockCount).OrderBy(b => (b * 17) % manifest.BlockCount).ToArray();
        for (var i = 0; i < order.Length; i++)
        {
            var block = order[i];
            store.WriteBlock(block, (long)block * blockSize, content.AsSpan(block * blockSize, manifest.BlockLength(block)));
            if (i % 10 == 9)
            {
                store.Checkpoint();
            }
        }

        Assert.Empty(store.VerifyFile(manifest, null));
        store.Complete();
        Assert.False(File.Exists(store.MapPath));
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task CheckedPrefix_LeavesThePageCacheAfterACheckpoint_BlocksAheadOfItStay()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the pages are dropped with posix_fadvise, a Linux call; elsewhere the store keeps them
        }

        var content = RandomNumberGenerator.GetBytes(BlockSize * 8);
        var (_, store, path) = await BeginAsync(content, "drop-behind.img");
        foreach (var block in new[] { 0, 1, 2, 3, 6 })
        {
            store.WriteBlock(block, (long)block * BlockSize, content.AsSpan(block * BlockSize, BlockSize));
        }

        Assert.All(new[] { 0, 1, 2, 3, 6 }, block => Assert.True(ResidentPages(path)[block], $"block {block} cached after its write"));
        store.Checkpoint();
        store.Dispose(); // waits for the checkpoint: flush, block map, then the drop

        var resident = ResidentPages(path);
        Assert.All(new[] { 0, 1, 2, 3 }, block => Assert.False(resident[block], $"block {block} of the checked prefix still cached"));
        Assert.True(resident[6], "block 6, written ahead of the prefix, is read back later and must stay cached");
        Assert.Equal(content.AsSpan(0, 4 * BlockSize).ToArray(), (await File.ReadAllBytesAsync(path))[..(4 * BlockSize)]);
    }

    /// <summary>Which of the file's 4 KiB pages are in the page cache (mincore over a read-only mapping, which touches none).</summary>
    private static unsafe bool[] ResidentPages(string path)
    {
        var length = new FileInfo(path).Length;
        using var map = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateFromFile(
            path, FileMode.Open, null, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, length, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        var pages = (int)((length + Environment.SystemPageSize - 1) / Environment.SystemPageSize);
        var vector = new byte[pages];
        byte* address = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref address);
        try
        {
            fixed (byte* vec = vector)
            {
                Assert.Equal(0, Mincore(address + view.PointerOffset, (nuint)length, vec));
            }
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        return vector.Select(v => (v & 1) != 0).ToArray();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static extern unsafe int Mincore(byte* address, nuint length, byte* vector);

    [Fact]
    public async Task BlocksWrittenInOrder_AreNotReadBack()
    {
        var content = RandomNumberGenerator.GetBytes(BlockSize * 3);
        var (manifest, store, path) = await BeginAsync(content, "in-order.img");
        using var _ = store;
        for (var block = 0; block < 3; block++)
        {
            store.WriteBlock(block, (long)block * BlockSize, content.AsSpan(block * BlockSize, BlockSize));
        }

        // Changed on disk after it was written in order, verified from memory just before: the final check does not
        // read it (that is the price of not hashing every byte twice), so it passes.
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Position = BlockSize + 1;
            file.WriteByte((byte)(content[BlockSize + 1] ^ 0xFF));
        }

        Assert.Empty(store.VerifyFile(manifest, null));
    }

    [Fact]
    public async Task BlockKeptFromAnEarlierRun_ThatChangedOnDisk_IsFoundByItsHash_AndOnlyItIsFetchedAgain()
    {
        var content = RandomNumberGenerator.GetBytes((BlockSize * 5) + 7);
        var (manifest, first, path) = await BeginAsync(content, "resumed.img");
        var bytes = manifest.Serialize();
        var manifestHash = SHA256.HashData(bytes);
        using (first)
        {
            foreach (var block in new[] { 0, 1, 2, 4, 5 })
            {
                first.WriteBlock(block, (long)block * BlockSize, content.AsSpan(block * BlockSize, manifest.BlockLength(block)));
            }

            first.Checkpoint();
        }

        // The run stopped (its map says all but block 3 are in); the disk then lost a byte of block 1.
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Position = BlockSize + 100;
            file.WriteByte((byte)(content[BlockSize + 100] ^ 0x01));
        }

        using var second = new FileReceiverStore(path);
        Assert.True(second.TryResume(manifestHash, out _, out var verified, out var previousId));
        Assert.Equal(7u, previousId);
        Assert.Equal([true, true, true, false, true, true], verified);
        second.Begin(manifestHash, bytes, manifest, receiverId: 7);
        second.WriteBlock(3, 3L * BlockSize, content.AsSpan(3 * BlockSize, BlockSize));
        Assert.Equal([1], second.VerifyFile(manifest, null));

        second.WriteBlock(1, BlockSize, content.AsSpan(BlockSize, BlockSize));
        Assert.Empty(second.VerifyFile(manifest, null));
        second.Complete();
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task SeveralBadBlocks_AreAllReportedInOneCheck()
    {
        var content = RandomNumberGenerator.GetBytes(BlockSize * 6);
        var (manifest, store, path) = await BeginAsync(content, "several.img");
        using var _ = store;
        foreach (var block in new[] { 5, 4, 3, 2, 1 })
        {
            store.WriteBlock(block, (long)block * BlockSize, content.AsSpan(block * BlockSize, BlockSize));
        }

        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            foreach (var block in new[] { 2, 4 })
            {
                file.Position = (block * BlockSize) + 3;
                file.WriteByte((byte)(content[(block * BlockSize) + 3] ^ 0x80));
            }
        }

        store.WriteBlock(0, 0, content.AsSpan(0, BlockSize));
        Assert.Equal([2, 4], store.VerifyFile(manifest, null));
        foreach (var block in new[] { 4, 2 })
        {
            store.WriteBlock(block, (long)block * BlockSize, content.AsSpan(block * BlockSize, BlockSize));
        }

        Assert.Empty(store.VerifyFile(manifest, null));
        store.Complete();
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }
}
