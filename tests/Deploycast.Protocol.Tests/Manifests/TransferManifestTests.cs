using System.Security.Cryptography;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Protocol.Tests.Manifests;

public sealed class TransferManifestTests
{
    private static async Task<(byte[] Data, TransferManifest Manifest)> BuildAsync(int size, int blockSize)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        var manifest = await TransferManifest.BuildAsync(new MemoryStream(data), blockSize, null, CancellationToken.None);
        return (data, manifest);
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 100)]
    [InlineData(100, 100)]
    [InlineData(1001, 100)]
    public async Task Build_HashesEveryBlockAndTheWholeFile(int size, int blockSize)
    {
        var (data, manifest) = await BuildAsync(size, blockSize);
        Assert.Equal(size, manifest.FileSize);
        Assert.Equal((size + blockSize - 1) / blockSize, manifest.BlockCount);
        Assert.True(manifest.FileHash.SequenceEqual(SHA256.HashData(data)));
        for (var block = 0; block < manifest.BlockCount; block++)
        {
            var bytes = data.AsSpan(block * blockSize, manifest.BlockLength(block));
            Assert.True(manifest.VerifyBlock(block, bytes));
        }
    }

    /// <summary>A stream that hands out at most a few bytes per read, as a pipe or a network stream may.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 70_001)], cancellationToken);
    }

    [Theory]
    [InlineData(9_000_123, 100_000)] // several 4 MiB chunks whose whole-file hashing overlaps the block hashing
    [InlineData(8_200_000, 100_000)] // ends exactly on a chunk boundary (41 blocks a chunk)
    public async Task Build_OverManyChunksAndShortReads_MatchesHashingInOnePass(int size, int blockSize)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        data.AsSpan(blockSize * 3, blockSize * 2).Clear(); // two all-zero blocks
        var manifest = await TransferManifest.BuildAsync(new TrickleStream(data), blockSize, null, CancellationToken.None);

        Assert.Equal(size, manifest.FileSize);
        Assert.True(manifest.FileHash.SequenceEqual(SHA256.HashData(data)));
        Assert.Equal((size + blockSize - 1) / blockSize, manifest.BlockCount);
        for (var block = 0; block < manifest.BlockCount; block++)
        {
            var bytes = data.AsSpan(block * blockSize, manifest.BlockLength(block));
            Assert.True(manifest.BlockHash(block).SequenceEqual(SHA256.HashData(bytes)), $"block {block}");
            Assert.Equal(block is 3 or 4, manifest.IsZeroBlock(block));
        }
    }

    [Fact]
    public async Task VerifyBlock_RejectsAChangedByte()
    {
        var (data, manifest) = await BuildAsync(1000, 300);
        data[450] ^= 1;
        Assert.False(manifest.VerifyBlock(1, data.AsSpan(300, 300)));
    }

    [Fact]
    public async Task Serialize_RoundTrips_AndParseRejectsDamage()
    {
        var (_, manifest) = await BuildAsync(1000, 300);
        var bytes = manifest.Serialize();
        var parsed = TransferManifest.TryParse(bytes, out var error);
        Assert.Null(error);
        Assert.NotNull(parsed);
        Assert.Equal(manifest.Serialize(), parsed.Serialize());

        Assert.Null(TransferManifest.TryParse(bytes.AsSpan(0, bytes.Length - 1), out error));
        Assert.Contains("block count", error, StringComparison.Ordinal);
        var foreign = (byte[])bytes.Clone();
        foreign[0] = (byte)'X';
        Assert.Null(TransferManifest.TryParse(foreign, out error));
        Assert.Contains("not a Deploycast manifest", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_MarksAllZeroBlocks_AndTheMarksSurviveSerialization()
    {
        // Blocks 0 and 2 hold data; 1, 3 and the short last block 4 are all zero.
        var data = new byte[4 * 300 + 50];
        data[10] = 1;
        data[600] = 7;
        var manifest = await TransferManifest.BuildAsync(new MemoryStream(data), 300, null, CancellationToken.None);
        Assert.Equal([false, true, false, true, true], Enumerable.Range(0, manifest.BlockCount).Select(manifest.IsZeroBlock));
        Assert.Equal(3, manifest.ZeroBlockCount);
        Assert.Equal(650, manifest.ZeroBytes);
        Assert.True(manifest.VerifyBlock(1, new byte[300]));

        var parsed = TransferManifest.TryParse(manifest.Serialize(), out var error);
        Assert.Null(error);
        Assert.Equal([false, true, false, true, true], Enumerable.Range(0, parsed!.BlockCount).Select(parsed.IsZeroBlock));
    }

    [Fact]
    public async Task Parse_RejectsZeroMarksBeyondTheLastBlock()
    {
        var (_, manifest) = await BuildAsync(1000, 300);
        var bytes = manifest.Serialize();
        bytes[^1] |= 0x01;
        Assert.Null(TransferManifest.TryParse(bytes, out var error));
        Assert.Contains("beyond its last block", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 300)]
    [InlineData(1, 300)]
    [InlineData(300, 300)]
    [InlineData(4 * 300 + 50, 300)]
    [InlineData(17 * 300, 300)]
    public async Task FromHashes_MakesTheManifestBuildAsyncMakes(int size, int blockSize)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        Array.Clear(data, 0, Math.Min(size, blockSize)); // block 0 all zero
        var built = await TransferManifest.BuildAsync(new MemoryStream(data), blockSize, null, CancellationToken.None);
        var blocks = built.BlockCount;
        var hashes = new byte[blocks * TransferManifest.HashSize];
        var zeros = new byte[(blocks + 7) / 8];
        for (var block = 0; block < blocks; block++)
        {
            var bytes = data.AsSpan(block * blockSize, built.BlockLength(block));
            SHA256.HashData(bytes, hashes.AsSpan(block * TransferManifest.HashSize));
            if (!bytes.ContainsAnyExcept((byte)0))
            {
                zeros[block / 8] |= (byte)(0x80 >> (block % 8));
            }
        }

        var manifest = TransferManifest.FromHashes(size, blockSize, hashes, SHA256.HashData(data), zeros);

        Assert.Equal(built.Serialize(), manifest.Serialize());
        Assert.Equal(built.ZeroBlockCount, manifest.ZeroBlockCount);
        var parsed = TransferManifest.TryParse(manifest.Serialize(), out var error);
        Assert.Null(error);
        Assert.Equal(manifest.Serialize(), parsed!.Serialize());
    }

    [Fact]
    public void FromHashes_RejectsHashesThatDoNotDescribeTheFile()
    {
        var hashes = new byte[4 * TransferManifest.HashSize]; // 4 blocks: 1000 bytes in blocks of 300
        var fileHash = new byte[TransferManifest.HashSize];
        var zeros = new byte[1];

        var manifest = TransferManifest.FromHashes(1000, 300, hashes, fileHash, zeros);
        Assert.Equal(4, manifest.BlockCount);

        var e = Assert.Throws<ArgumentException>(() => TransferManifest.FromHashes(1000, 300, hashes.AsSpan(32), fileHash, zeros));
        Assert.Equal("blockHashes", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => TransferManifest.FromHashes(1000, 300, hashes, fileHash.AsSpan(1), zeros));
        Assert.Equal("fileHash", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => TransferManifest.FromHashes(1000, 300, hashes, fileHash, new byte[2]));
        Assert.Equal("zeroBlocks", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => TransferManifest.FromHashes(1000, 300, hashes, fileHash, [0x08]));
        Assert.Contains("beyond the last block", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => TransferManifest.FromHashes(1000, 0, hashes, fileHash, zeros));
        Assert.Throws<ArgumentOutOfRangeException>(() => TransferManifest.FromHashes(-1, 300, hashes, fileHash, zeros));
    }
}
