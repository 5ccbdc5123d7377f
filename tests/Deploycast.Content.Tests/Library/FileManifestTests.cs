using Deploycast.Content.Library;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Content.Tests.Library;

/// <summary><see cref="FileManifest"/>: the manifest <c>deploycast send</c> makes, and the block checksums it keeps beside
/// it to check its reads with.</summary>
public sealed class FileManifestTests
{
    [Fact]
    public async Task Build_GivesTheStreamHashersManifest_AndAChecksumOfEveryBlockThatIsNotAllZeros()
    {
        const int blockSize = 64 * 1024;
        using var temp = new TempDirectory();
        var path = temp.RandomFile("disk.img", (10 * blockSize) + 1234, seed: 3);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes.AsSpan(3 * blockSize, 2 * blockSize).Clear(); // blocks 3 and 4 are empty
        await File.WriteAllBytesAsync(path, bytes);

        using var handle = File.OpenHandle(path);
        var hashed = await FileManifest.BuildAsync(handle, blockSize, null, CancellationToken.None);

        var expected = await TransferManifest.BuildAsync(new MemoryStream(bytes), blockSize, null, CancellationToken.None);
        Assert.Equal(expected.Serialize(), hashed.Manifest.Serialize());
        Assert.Equal(11, hashed.BlockChecksums.Length);
        for (var block = 0; block < 11; block++)
        {
            var data = bytes.AsSpan(block * blockSize, hashed.Manifest.BlockLength(block));
            Assert.Equal(block is 3 or 4 ? 0UL : BlockChecksum.Compute(data), hashed.BlockChecksums[block]);
        }

        // A changed byte shows in its block's checksum.
        bytes[(7 * blockSize) + 99] ^= 1;
        Assert.NotEqual(hashed.BlockChecksums[7], BlockChecksum.Compute(bytes.AsSpan(7 * blockSize, blockSize)));
    }
}
