using System.Security.Cryptography;
using Deploycast.Multicast.Storage;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Multicast.Tests;

/// <summary>The receiver's output file: what its final check finds when the disk does not return what was written.</summary>
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
}
