using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Deploycast.Content.Storage;
using Deploycast.Protocol.Manifests;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Content.Library;

public sealed partial class ContentLibrary
{
    /// <summary>
    /// Imports the file at <paramref name="sourcePath"/>: reads it once, building its manifest (per-block and
    /// whole-file SHA-256, all-zero blocks marked) while copying it into staging with its zero pages left unwritten,
    /// signs the manifest, and stores it all under the file's SHA-256. Content already in the library in good order
    /// is returned as it is; a stored copy that is corrupt, missing or changed is replaced by the new one.
    /// </summary>
    /// <param name="sourcePath">A regular file.</param>
    /// <param name="progress">Bytes read and total, after about every 4 MiB and at the end.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is kept.</param>
    /// <exception cref="ContentImportException">
    /// The source is missing or not a regular file, changed while it was read, could not be read, or the disk is
    /// full. The message names the path; nothing of the import is left behind.
    /// </exception>
    public async Task<ContentItem> ImportAsync(string sourcePath, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var source = Path.GetFullPath(sourcePath);
        CheckSource(source);
        var staging = Path.Combine(_stagingRoot, "import-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        var stopwatch = Stopwatch.StartNew();
        try
        {
            DurableFile.CreateDirectory(staging);
            var (hash, manifestBytes, manifest) = await CopyAndHashAsync(source, Path.Combine(staging, DataFileName), _blockSize, progress, cancellationToken).ConfigureAwait(false);
            var signature = _key.Sign(manifestBytes);
            DurableFile.WriteNew(Path.Combine(staging, ManifestFileName), manifestBytes);
            DurableFile.WriteNew(Path.Combine(staging, SignatureFileName), signature);
            var contentId = Convert.ToHexStringLower(hash);
            var (item, stored) = await CommitAsync(staging, contentId, manifest, source).ConfigureAwait(false);
            if (stored)
            {
                var seconds = stopwatch.Elapsed.TotalSeconds;
                ContentLog.Imported(_logger, source, contentId, item.Size, item.ZeroBytes, seconds, item.Size / 1e6 / Math.Max(seconds, 1e-6));
            }

            return item;
        }
        catch (OperationCanceledException)
        {
            RemoveDirectory(staging);
            ContentLog.ImportCanceled(_logger, source);
            throw;
        }
        catch (Exception e)
        {
            RemoveDirectory(staging);
            var failure = e switch
            {
                ContentImportException known => known,
                IOException io when IsDiskFull(io) => new ContentImportException(source,
                    $"Importing '{source}' failed: the content library's disk is full ('{_root}'). Free space there, then import again.", e)
                { DiskFull = true },
                IOException or UnauthorizedAccessException => new ContentImportException(source, $"Importing '{source}' failed: {e.Message}", e),
                _ => null,
            };
            ContentLog.ImportFailed(_logger, e, source);
            if (failure is null || ReferenceEquals(failure, e))
            {
                throw;
            }

            throw failure;
        }
    }

    /// <summary>
    /// Imports content that was signed elsewhere: the site's manifest and signature, for content the site distributed to
    /// this distribution point. The file is read, hashed and copied as by <see cref="ImportAsync"/>; the manifest built
    /// from it must equal <paramref name="manifestBytes"/> byte for byte, and the signature must verify with the library's
    /// key or a key it trusts (<see cref="TrustKey"/>). The given manifest and signature are stored unchanged: never
    /// re-signed with this library's key.
    /// </summary>
    /// <exception cref="ContentImportException">
    /// As <see cref="ImportAsync"/>; or the signature does not verify, or the file is not the content the manifest
    /// describes (another size, block size, block or whole-file hash). Nothing is kept.
    /// </exception>
    public async Task<ContentItem> ImportSignedAsync(
        string sourcePath, byte[] manifestBytes, byte[] signature, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        ArgumentNullException.ThrowIfNull(manifestBytes);
        ArgumentNullException.ThrowIfNull(signature);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var source = Path.GetFullPath(sourcePath);
        var expected = TransferManifest.TryParse(manifestBytes, out var parseError)
            ?? throw new ContentImportException(source, $"Cannot import '{source}': its manifest cannot be read: {parseError}");
        if (!IsTrustedSignature(manifestBytes, signature))
        {
            throw new ContentImportException(source,
                $"Cannot import '{source}': its manifest signature does not verify with the site key or a key the library trusts; nothing is imported.");
        }

        CheckSource(source);
        var staging = Path.Combine(_stagingRoot, "import-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        try
        {
            DurableFile.CreateDirectory(staging);
            var (hash, built, manifest) = await CopyAndHashAsync(source, Path.Combine(staging, DataFileName), expected.BlockSize, progress, cancellationToken).ConfigureAwait(false);
            if (!built.AsSpan().SequenceEqual(manifestBytes))
            {
                throw new ContentImportException(source, string.Create(CultureInfo.InvariantCulture,
                    $"Cannot import '{source}': it is not the content its signed manifest describes (the file has {manifest.FileSize:N0} bytes and SHA-256 {Convert.ToHexStringLower(hash)}; the manifest says {expected.FileSize:N0} bytes, {Convert.ToHexStringLower(expected.FileHash)}, or other blocks); nothing is imported."));
            }

            DurableFile.WriteNew(Path.Combine(staging, ManifestFileName), manifestBytes);
            DurableFile.WriteNew(Path.Combine(staging, SignatureFileName), signature);
            var (item, _) = await CommitAsync(staging, Convert.ToHexStringLower(hash), manifest, source).ConfigureAwait(false);
            return item;
        }
        catch (Exception e)
        {
            RemoveDirectory(staging);
            ContentLog.ImportFailed(_logger, e, source);
            throw;
        }
    }

    private static void CheckSource(string source)
    {
        var kind = UnixFile.KindOf(source);
        if (kind is null && !File.Exists(source))
        {
            throw new ContentImportException(source, $"Cannot import '{source}': the file does not exist.");
        }

        if (kind is not null && kind != "regular file")
        {
            throw new ContentImportException(source, $"Cannot import '{source}': it is a {kind}, not a regular file.");
        }
    }

    private async Task<(byte[] Hash, byte[] ManifestBytes, TransferManifest Manifest)> CopyAndHashAsync(
        string source, string dataPath, int blockSize, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        using var input = OpenSource(source);
        var length = RandomAccess.GetLength(input);
        var lastWrite = File.GetLastWriteTimeUtc(input);
        if ((length + blockSize - 1) / blockSize > TransferManifest.MaxBlockCount)
        {
            throw new ContentImportException(source, string.Create(CultureInfo.InvariantCulture,
                $"Cannot import '{source}': at {length:N0} bytes it has more blocks of {blockSize:N0} bytes than a manifest can list; use a larger block size."));
        }

        ContentLog.ImportStarted(_logger, source, length);
        progress?.Report(new ImportProgress(0, length));
        var builder = new ManifestBuilder(blockSize, length);
        byte[] hash;
        long total;
        using (var output = new FileStream(dataPath, DurableFile.CreateOptions(FileMode.CreateNew)))
        {
            var writer = new SparseWriter(output.SafeFileHandle);
            (hash, total) = await BlockPipeline.RunAsync(
                input,
                blockSize,
                [builder.AddChunk, writer.Write],
                read => progress?.Report(new ImportProgress(read, Math.Max(length, read))),
                cancellationToken).ConfigureAwait(false);

            // The zero pages were never written: setting the length makes the tail of the file read as zeros too.
            RandomAccess.SetLength(output.SafeFileHandle, total);

            // On disk before the library calls it valid: a crash must not leave a "valid" file with lost pages.
            RandomAccess.FlushToDisk(output.SafeFileHandle);
        }

        // What was hashed is what was stored, but a file still being written is not the image anyone meant to import.
        if (total != length || RandomAccess.GetLength(input) != length || File.GetLastWriteTimeUtc(input) != lastWrite)
        {
            throw new ContentImportException(source,
                $"Importing '{source}' failed: the file changed while it was being read. Import it again when nothing is writing to it.");
        }

        var manifest = builder.ToManifest(total, hash);
        return (hash, manifest.Serialize(), manifest);
    }

    private static SafeFileHandle OpenSource(string source)
    {
        try
        {
            return File.OpenHandle(source, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ContentImportException(source, $"Cannot import '{source}': the file does not exist.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ContentImportException(source, $"Cannot import '{source}': permission denied.", e);
        }
    }

    /// <summary>
    /// Moves a finished import from staging into the library. Returns the stored item, and whether it is the new
    /// copy (false: the library already held the content in good order and kept its copy).
    /// </summary>
    private async Task<(ContentItem Item, bool Stored)> CommitAsync(string staging, string contentId, TransferManifest manifest, string source)
    {
        // Not cancellable: the expensive part is done, and a commit stopped half-way helps nobody.
        var itemLock = ItemLock(contentId);
        await itemLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        string? replaced = null;
        try
        {
            var directory = ItemDirectory(contentId);
            if (Directory.Exists(directory))
            {
                var existing = Load(contentId, dataHandle: null, out var unreadable);
                if (existing is { State: ContentState.Valid } && existing.BlockSize == manifest.BlockSize)
                {
                    RemoveDirectory(staging);
                    ContentLog.ImportDeduplicated(_logger, source, contentId);
                    return (existing, false);
                }

                // The new copy was just read and hashed in full: it is better than a stored copy in any other state.
                // A stored copy with another block size is replaced too, because sessions use the library's block size.
                var reason = existing is null ? unreadable ?? "unreadable"
                    : existing.State != ContentState.Valid ? $"{existing.State.ToString().ToLowerInvariant()}: {existing.StateMessage}"
                    : string.Create(CultureInfo.InvariantCulture, $"stored with block size {existing.BlockSize:N0}, not {manifest.BlockSize:N0}");
                ContentLog.ImportReplaced(_logger, contentId, reason, source);
                replaced = MoveToStaging(directory, "replaced");
            }

            var data = new FileInfo(Path.Combine(staging, DataFileName));
            var now = _time.GetUtcNow();
            var info = new ContentInfo
            {
                ContentId = contentId,
                Size = manifest.FileSize,
                ZeroBytes = manifest.ZeroBytes,
                BlockSize = manifest.BlockSize,
                ImportedAt = now,
                ImportedFrom = source,
                State = ContentState.Valid,
                CheckedAt = now,
                DataLength = data.Length,
                DataLastWriteUtc = data.LastWriteTimeUtc,
            };
            DurableFile.WriteNew(Path.Combine(staging, InfoFileName), info.ToJson());
            var parent = Path.GetDirectoryName(directory)!;
            DurableFile.CreateDirectory(parent);

            // One rename makes the whole item appear at once: data, manifest, signature and record together.
            Directory.Move(staging, directory);
            UnixFile.SyncDirectory(parent);
            return (Load(contentId, dataHandle: null, out _) ?? throw new InvalidOperationException($"Content {contentId} vanished right after its import."), true);
        }
        finally
        {
            if (replaced is not null)
            {
                RemoveDirectory(replaced);
            }

            itemLock.Release();
        }
    }

    private static bool IsDiskFull(IOException e) => OperatingSystem.IsWindows()
        ? e.HResult is unchecked((int)0x80070070) or unchecked((int)0x80070027) // ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL
        : e.HResult is 28 or 122; // ENOSPC, EDQUOT: .NET reports the errno as the HResult on Unix
}
