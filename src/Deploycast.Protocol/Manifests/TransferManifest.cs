using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Deploycast.Protocol.Manifests;

/// <summary>
/// What a receiver checks the file against: its size, block size, the SHA-256 of every block and of the
/// whole file, and which blocks are all zero (a raw disk image is mostly empty; zero blocks are never sent).
/// Serialized form, big-endian:
/// <code>0 "DCMF"  4 u8 version (2)  5 u8 hash (1 = SHA-256)  6 u16 reserved  8 u64 file size  16 u32 block size
/// 20 u32 block count  24 [32] file SHA-256  56 [32] × block count block SHA-256
/// then ceil(block count / 8) bytes: bit (block % 8), most significant first, of byte (block / 8) is set when the
/// block is all zero</code>
/// </summary>
public sealed class TransferManifest
{
    public const int HashSize = 32;
    private const int FixedSize = 56;
    private static ReadOnlySpan<byte> Magic => "DCMF"u8;

    private const byte Version = 2;

    private readonly byte[] _blockHashes;
    private readonly byte[] _fileHash;
    private readonly byte[] _zeroBlocks;

    private TransferManifest(long fileSize, int blockSize, byte[] fileHash, byte[] blockHashes, byte[] zeroBlocks)
    {
        FileSize = fileSize;
        BlockSize = blockSize;
        _fileHash = fileHash;
        _blockHashes = blockHashes;
        _zeroBlocks = zeroBlocks;
        foreach (var b in zeroBlocks)
        {
            ZeroBlockCount += System.Numerics.BitOperations.PopCount(b);
        }
    }

    /// <summary>Blocks whose bytes are all zero.</summary>
    public int ZeroBlockCount { get; }

    /// <summary>Bytes in all-zero blocks: what a sender never has to send.</summary>
    public long ZeroBytes
    {
        get
        {
            if (ZeroBlockCount == 0)
            {
                return 0;
            }

            long total = 0;
            for (var block = 0; block < BlockCount; block++)
            {
                if (IsZeroBlock(block))
                {
                    total += BlockLength(block);
                }
            }

            return total;
        }
    }

    /// <summary>True when every byte of block <paramref name="block"/> is zero.</summary>
    public bool IsZeroBlock(int block) => (_zeroBlocks[block >> 3] & (0x80 >> (block & 7))) != 0;

    /// <summary>Size of the file in bytes.</summary>
    public long FileSize { get; }

    /// <summary>Bytes per block (the last block may be shorter).</summary>
    public int BlockSize { get; }

    /// <summary>Number of blocks.</summary>
    public int BlockCount => _blockHashes.Length / HashSize;

    /// <summary>SHA-256 of the whole file.</summary>
    public ReadOnlySpan<byte> FileHash => _fileHash;

    /// <summary>SHA-256 of block <paramref name="block"/>.</summary>
    public ReadOnlySpan<byte> BlockHash(int block) => _blockHashes.AsSpan(block * HashSize, HashSize);

    /// <summary>Length of block <paramref name="block"/>.</summary>
    public int BlockLength(int block) => (int)Math.Min(BlockSize, FileSize - ((long)block * BlockSize));

    /// <summary>True when <paramref name="data"/> is exactly block <paramref name="block"/>.</summary>
    public bool VerifyBlock(int block, ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[HashSize];
        SHA256.HashData(data, hash);
        return hash.SequenceEqual(BlockHash(block));
    }

    /// <summary>
    /// Reads <paramref name="source"/> to its end and hashes it block by block, on one thread (for streams and tests; a
    /// file on disk is hashed with both hashes in parallel by <c>Deploycast.Content.Library.FileManifest</c>).
    /// </summary>
    /// <param name="progress">Called with the bytes hashed so far, about every block.</param>
    public static async Task<TransferManifest> BuildAsync(Stream source, int blockSize, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var hashes = new ArrayBufferWriter<byte>();
        var zeros = new List<byte>();
        var blocks = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        long total = 0;
        try
        {
            while (true)
            {
                var filled = await source.ReadAtLeastAsync(buffer.AsMemory(0, blockSize), blockSize, throwOnEndOfStream: false, cancellationToken)
                    .ConfigureAwait(false);
                if (filled == 0)
                {
                    break;
                }

                var block = buffer.AsSpan(0, filled);
                whole.AppendData(block);
                SHA256.HashData(block, hashes.GetSpan(HashSize));
                hashes.Advance(HashSize);
                if ((blocks & 7) == 0)
                {
                    zeros.Add(0);
                }

                if (!block.ContainsAnyExcept((byte)0))
                {
                    zeros[^1] |= (byte)(0x80 >> (blocks & 7));
                }

                blocks++;
                total += filled;
                progress?.Report(total);
                if (filled < blockSize)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new TransferManifest(total, blockSize, whole.GetHashAndReset(), hashes.WrittenSpan.ToArray(), [.. zeros]);
    }

    /// <summary>Most blocks a manifest can list: its serialized form must fit in one array.</summary>
    public static long MaxBlockCount => (Array.MaxLength - FixedSize) / (HashSize + 1);

    /// <summary>
    /// A manifest from hashes computed elsewhere, such as an import that hashes blocks while it copies the file. The
    /// spans are copied. Throws <see cref="ArgumentException"/> when they do not describe one consistent manifest.
    /// </summary>
    /// <param name="fileSize">Size of the file in bytes (0 or more).</param>
    /// <param name="blockSize">Bytes per block (1 or more); the last block may be shorter.</param>
    /// <param name="blockHashes">SHA-256 of every block, in order: 32 bytes × ceil(fileSize / blockSize).</param>
    /// <param name="fileHash">SHA-256 of the whole file (32 bytes).</param>
    /// <param name="zeroBlocks">
    /// ceil(block count / 8) bytes; bit (block % 8), most significant first, of byte (block / 8) is set when the block
    /// is all zero. Bits past the last block must be 0.
    /// </param>
    public static TransferManifest FromHashes(long fileSize, int blockSize, ReadOnlySpan<byte> blockHashes, ReadOnlySpan<byte> fileHash, ReadOnlySpan<byte> zeroBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fileSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        var blocks = (fileSize + blockSize - 1) / blockSize;
        if (blocks > MaxBlockCount)
        {
            throw new ArgumentOutOfRangeException(nameof(fileSize), fileSize, $"{blocks} blocks of {blockSize} bytes are more than a manifest can list ({MaxBlockCount}).");
        }

        if (blockHashes.Length != blocks * HashSize)
        {
            throw new ArgumentException($"blockHashes must hold {blocks} hashes of {HashSize} bytes for {fileSize} bytes in blocks of {blockSize}, not {blockHashes.Length} bytes.", nameof(blockHashes));
        }

        if (fileHash.Length != HashSize)
        {
            throw new ArgumentException($"fileHash must be {HashSize} bytes, not {fileHash.Length}.", nameof(fileHash));
        }

        if (zeroBlocks.Length != (blocks + 7) / 8)
        {
            throw new ArgumentException($"zeroBlocks must be {(blocks + 7) / 8} bytes for {blocks} blocks, not {zeroBlocks.Length}.", nameof(zeroBlocks));
        }

        if ((blocks & 7) != 0 && (zeroBlocks[^1] & (0xFF >> (int)(blocks & 7))) != 0)
        {
            throw new ArgumentException("zeroBlocks marks blocks beyond the last block.", nameof(zeroBlocks));
        }

        return new TransferManifest(fileSize, blockSize, fileHash.ToArray(), blockHashes.ToArray(), zeroBlocks.ToArray());
    }

    /// <summary>Bytes <see cref="Serialize"/> produces.</summary>
    public int SerializedLength => FixedSize + _blockHashes.Length + _zeroBlocks.Length;

    /// <summary>Serializes the manifest.</summary>
    public byte[] Serialize()
    {
        var bytes = new byte[SerializedLength];
        Magic.CopyTo(bytes);
        bytes[4] = Version;
        bytes[5] = 1;
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), (ulong)FileSize);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), (uint)BlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), (uint)BlockCount);
        _fileHash.CopyTo(bytes, 24);
        _blockHashes.CopyTo(bytes, FixedSize);
        _zeroBlocks.CopyTo(bytes, FixedSize + _blockHashes.Length);
        return bytes;
    }

    /// <summary>Parses a serialized manifest; returns null with a reason when it is not a consistent manifest.</summary>
    public static TransferManifest? TryParse(ReadOnlySpan<byte> bytes, out string? error)
    {
        error = null;
        if (bytes.Length < FixedSize || !bytes[..4].SequenceEqual(Magic))
        {
            error = "not a Deploycast manifest";
            return null;
        }

        if (bytes[4] != Version || bytes[5] != 1)
        {
            error = $"unsupported manifest version {bytes[4]} or hash {bytes[5]}";
            return null;
        }

        var fileSize = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        var blockSize = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
        var blockCount = BinaryPrimitives.ReadUInt32BigEndian(bytes[20..]);
        if (blockSize == 0 || blockSize > int.MaxValue || fileSize > long.MaxValue)
        {
            error = "manifest block size or file size out of range";
            return null;
        }

        var expectedBlocks = (fileSize + blockSize - 1) / blockSize;
        var zeroMapLength = (blockCount + 7) / 8;
        var hashesEnd = FixedSize + ((long)blockCount * HashSize);
        if (blockCount != expectedBlocks || bytes.Length != hashesEnd + zeroMapLength)
        {
            error = "manifest block count does not match its size";
            return null;
        }

        var zeroMap = bytes[(int)hashesEnd..].ToArray();
        if ((blockCount & 7) != 0 && (zeroMap[^1] & (0xFF >> (int)(blockCount & 7))) != 0)
        {
            error = "manifest marks zero blocks beyond its last block";
            return null;
        }

        return new TransferManifest((long)fileSize, (int)blockSize, bytes.Slice(24, HashSize).ToArray(), bytes[FixedSize..(int)hashesEnd].ToArray(), zeroMap);
    }
}
