using Deploycast.Content.Storage;
using Deploycast.Protocol.Manifests;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Content.Library;

/// <summary>
/// The manifest of a file on disk, hashed the way the library imports: read once in chunks of whole blocks, the
/// whole-file SHA-256 on one thread while the block hashes run on another (<see cref="BlockPipeline"/>), so the two
/// hashes take about the time of one on a machine with two cores. <c>deploycast send</c> uses it for files it has not
/// sent before.
/// </summary>
public static class FileManifest
{
    /// <summary>Hashes the file into its manifest, and takes a <see cref="BlockChecksum"/> of every block on the way
    /// (about a tenth of the cost of the SHA-256), so a sender can check its later reads of the file with those instead
    /// of hashing every block again.</summary>
    /// <param name="progress">Called with the bytes hashed so far, about every 4 MiB.</param>
    public static async Task<HashedFile> BuildAsync(SafeFileHandle file, int blockSize, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        var builder = new ManifestBuilder(blockSize, RandomAccess.GetLength(file), checksums: true);
        var (hash, total) = await BlockPipeline.RunAsync(file, blockSize, [builder.AddChunk], read => progress?.Report(read), cancellationToken)
            .ConfigureAwait(false);
        return new HashedFile(builder.ToManifest(total, hash), builder.BlockChecksums());
    }
}

/// <summary>A file's manifest and the <see cref="BlockChecksum"/> of each of its blocks (0 for all-zero blocks).</summary>
public sealed record HashedFile(TransferManifest Manifest, ulong[] BlockChecksums);
