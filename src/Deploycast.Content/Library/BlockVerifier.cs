using Deploycast.Protocol.Manifests;

namespace Deploycast.Content.Library;

/// <summary>Checks the blocks of a stored file against its manifest, chunk by chunk, during validation.</summary>
internal sealed class BlockVerifier(TransferManifest manifest)
{
    private readonly List<int> _badBlocks = [];
    private readonly List<bool> _badZeroBlocks = [];

    /// <summary>Bad blocks found, in order, at most <see cref="ValidationReport.MaxBadBlocksListed"/>.</summary>
    public IReadOnlyList<int> BadBlocks => _badBlocks;

    /// <summary>All bad blocks found.</summary>
    public int BadBlockCount { get; private set; }

    /// <summary>True for a listed bad block that the manifest marks all-zero (it should read as zeros).</summary>
    public bool IsBadZeroBlock(int listIndex) => _badZeroBlocks[listIndex];

    /// <summary>Checks the blocks of a chunk (chunks hold whole blocks): a <see cref="Storage.BlockPipeline.ChunkWork"/>.</summary>
    public void CheckChunk(byte[] chunk, int count, long offset)
    {
        var first = (int)(offset / manifest.BlockSize);
        for (var start = 0; start < count; start += manifest.BlockSize)
        {
            var block = first + (start / manifest.BlockSize);
            var data = chunk.AsSpan(start, Math.Min(manifest.BlockSize, count - start));
            var zero = manifest.IsZeroBlock(block);

            // A zero block's hash is the hash of zeros: checking for zeros is the same test without the SHA-256.
            var good = data.Length == manifest.BlockLength(block)
                && (zero ? !data.ContainsAnyExcept((byte)0) : manifest.VerifyBlock(block, data));
            if (!good)
            {
                BadBlockCount++;
                if (_badBlocks.Count < ValidationReport.MaxBadBlocksListed)
                {
                    _badBlocks.Add(block);
                    _badZeroBlocks.Add(zero);
                }
            }
        }
    }
}
