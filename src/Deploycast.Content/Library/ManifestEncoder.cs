using System.Buffers.Binary;
using System.Security.Cryptography;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Content.Library;

/// <summary>
/// Builds a manifest from chunks as the import reads them, so the file is read once and its two hashes run in
/// parallel (<see cref="TransferManifest.BuildAsync"/> reads its own stream and hashes on one thread).
/// </summary>
/// <remarks>
/// It writes the serialized form documented on <see cref="TransferManifest"/> (version 2) and parses it back with
/// <see cref="TransferManifest.TryParse"/>, so a format change there fails loudly at import; a test checks the
/// bytes equal BuildAsync's. If the protocol library gains a factory from hashes, use it and delete this.
/// </remarks>
internal sealed class ManifestEncoder
{
    private const int FixedSize = 56;
    private const byte Version = 2;
    private const byte HashSha256 = 1;

    private readonly int _blockSize;
    private readonly byte[] _zeroBlockHash;
    private byte[] _hashes;
    private byte[] _zeroMap;
    private int _blocks;

    public ManifestEncoder(int blockSize, long expectedSize)
    {
        _blockSize = blockSize;
        _zeroBlockHash = SHA256.HashData(new byte[blockSize]);
        var blocks = (int)Math.Min(int.MaxValue / TransferManifest.HashSize, Math.Max(1, (expectedSize + blockSize - 1) / blockSize));
        _hashes = new byte[blocks * TransferManifest.HashSize];
        _zeroMap = new byte[(blocks + 7) / 8];
    }

    /// <summary>Largest block count whose manifest fits in one array.</summary>
    public static long MaxBlocks => (Array.MaxLength - FixedSize) / (TransferManifest.HashSize + 1);

    /// <summary>Blocks hashed so far.</summary>
    public int BlockCount => _blocks;

    /// <summary>Hashes the blocks of a chunk (chunks hold whole blocks): a <see cref="Storage.BlockPipeline.ChunkWork"/>.</summary>
    public void AddChunk(byte[] chunk, int count, long offset)
    {
        for (var start = 0; start < count; start += _blockSize)
        {
            var block = chunk.AsSpan(start, Math.Min(_blockSize, count - start));
            EnsureCapacity(_blocks + 1);
            var hash = _hashes.AsSpan(_blocks * TransferManifest.HashSize, TransferManifest.HashSize);
            if (!block.ContainsAnyExcept((byte)0))
            {
                _zeroMap[_blocks >> 3] |= (byte)(0x80 >> (_blocks & 7));

                // Empty regions are common and all hash alike: skip the work for full-size blocks.
                if (block.Length == _blockSize)
                {
                    _zeroBlockHash.CopyTo(hash);
                    _blocks++;
                    continue;
                }
            }

            SHA256.HashData(block, hash);
            _blocks++;
        }
    }

    /// <summary>The serialized manifest of the <paramref name="fileSize"/> bytes hashed.</summary>
    public byte[] Encode(long fileSize, ReadOnlySpan<byte> fileHash)
    {
        var hashBytes = _blocks * TransferManifest.HashSize;
        var zeroBytes = (_blocks + 7) / 8;
        var bytes = new byte[FixedSize + hashBytes + zeroBytes];
        "DCMF"u8.CopyTo(bytes);
        bytes[4] = Version;
        bytes[5] = HashSha256;
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), (ulong)fileSize);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), (uint)_blockSize);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), (uint)_blocks);
        fileHash.CopyTo(bytes.AsSpan(24));
        _hashes.AsSpan(0, hashBytes).CopyTo(bytes.AsSpan(FixedSize));
        _zeroMap.AsSpan(0, zeroBytes).CopyTo(bytes.AsSpan(FixedSize + hashBytes));
        return bytes;
    }

    private void EnsureCapacity(int blocks)
    {
        if (blocks * TransferManifest.HashSize <= _hashes.Length)
        {
            return;
        }

        // The file grew while it was read; the import will refuse it, but hash it correctly meanwhile.
        var capacity = Math.Max(blocks, _hashes.Length / TransferManifest.HashSize * 2);
        Array.Resize(ref _hashes, capacity * TransferManifest.HashSize);
        Array.Resize(ref _zeroMap, (capacity + 7) / 8);
    }
}
