using System.Security.Cryptography;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Content.Library;

/// <summary>
/// Hashes blocks from chunks as the import (or <see cref="FileManifest"/>) reads them, so the file is read once and its
/// two hashes run in parallel (<see cref="TransferManifest.BuildAsync"/> reads a stream and hashes on one thread); then
/// makes the manifest with <see cref="TransferManifest.FromHashes"/>, whose own serializer gives the bytes that are
/// signed and stored.
/// </summary>
internal sealed class ManifestBuilder
{
    private readonly int _blockSize;
    private readonly byte[] _zeroBlockHash;
    private byte[] _hashes;
    private byte[] _zeroMap;
    private ulong[]? _checksums;
    private int _blocks;

    /// <param name="blockSize">Bytes per block.</param>
    /// <param name="expectedSize">The file's size, to size the tables (a file that grows is still hashed right).</param>
    /// <param name="checksums">Also take a <see cref="BlockChecksum"/> of every block that is not all zeros, for a
    /// sender that checks its reads with them (<see cref="BlockChecksums"/>).</param>
    public ManifestBuilder(int blockSize, long expectedSize, bool checksums = false)
    {
        _blockSize = blockSize;
        _zeroBlockHash = SHA256.HashData(new byte[blockSize]);
        var blocks = (int)Math.Min(int.MaxValue / TransferManifest.HashSize, Math.Max(1, (expectedSize + blockSize - 1) / blockSize));
        _hashes = new byte[blocks * TransferManifest.HashSize];
        _zeroMap = new byte[(blocks + 7) / 8];
        _checksums = checksums ? new ulong[blocks] : null;
    }

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
            if (_checksums is not null)
            {
                _checksums[_blocks] = BlockChecksum.Compute(block);
            }

            _blocks++;
        }
    }

    /// <summary>The manifest of the <paramref name="fileSize"/> bytes hashed, whose SHA-256 is <paramref name="fileHash"/>.</summary>
    public TransferManifest ToManifest(long fileSize, ReadOnlySpan<byte> fileHash) => TransferManifest.FromHashes(
        fileSize,
        _blockSize,
        _hashes.AsSpan(0, _blocks * TransferManifest.HashSize),
        fileHash,
        _zeroMap.AsSpan(0, (_blocks + 7) / 8));

    /// <summary>The checksum of every block hashed (0 for all-zero blocks, which are never read to be sent), or an
    /// empty array when the builder was made without checksums.</summary>
    public ulong[] BlockChecksums() => _checksums is null ? [] : _checksums.AsSpan(0, _blocks).ToArray();

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
        if (_checksums is not null)
        {
            Array.Resize(ref _checksums, capacity);
        }
    }
}
