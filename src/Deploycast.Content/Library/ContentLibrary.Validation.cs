using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Deploycast.Content.Storage;
using Deploycast.Protocol.Manifests;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Content.Library;

public sealed partial class ContentLibrary
{
    private const int BadBlocksInMessage = 5;

    /// <summary>
    /// "Validate content": re-reads every stored item and checks its manifest signature, every block (all-zero blocks
    /// must read as zeros) and the whole-file SHA-256, then records the outcome. Good content becomes
    /// <see cref="ContentState.Valid"/> with its data file's current length and last-write time; bad content becomes
    /// <see cref="ContentState.Corrupt"/> or <see cref="ContentState.Missing"/> and stays on disk, not servable, until a
    /// later validation finds it good or it is imported again.
    /// </summary>
    /// <param name="progress">Bytes read of all items and the item being read, about every 4 MiB.</param>
    /// <param name="cancellationToken">Stops between chunks; items already checked keep their new record.</param>
    public async Task<ValidationReport> ValidateAsync(IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var stopwatch = Stopwatch.StartNew();
        var ids = EnumerateIds();
        var sizes = ids.ConvertAll(DeclaredSize);
        var total = sizes.Sum();
        ContentLog.ValidationStarted(_logger, ids.Count, total);
        var results = new List<ContentValidationResult>(ids.Count);
        long done = 0;
        for (var i = 0; i < ids.Count; i++)
        {
            results.Add(await ValidateItemAsync(ids[i], done, total, progress, cancellationToken).ConfigureAwait(false));
            done += sizes[i];
            progress?.Report(new ImportProgress(done, total, ids[i]));
        }

        var report = new ValidationReport(results);
        ContentLog.ValidationFinished(_logger, report.Count(ContentState.Valid), report.Count(ContentState.Corrupt),
            report.Count(ContentState.Missing), report.Count(ContentState.Unverified), stopwatch.Elapsed.TotalSeconds);
        return report;
    }

    /// <summary>Validates one item, as <see cref="ValidateAsync(IProgress{ImportProgress}?, CancellationToken)"/> does every item.</summary>
    /// <exception cref="ArgumentException"><paramref name="contentId"/> is not 64 lowercase hex characters.</exception>
    /// <exception cref="ContentUnavailableException">The library does not hold <paramref name="contentId"/>.</exception>
    public async Task<ValidationReport> ValidateAsync(string contentId, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ContentIds.ThrowIfInvalid(contentId, nameof(contentId));
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Directory.Exists(ItemDirectory(contentId)))
        {
            throw new ContentUnavailableException(contentId, null, $"Content {contentId} is not in the content library.");
        }

        var result = await ValidateItemAsync(contentId, 0, DeclaredSize(contentId), progress, cancellationToken).ConfigureAwait(false);
        return new ValidationReport([result]);
    }

    private async Task<ContentValidationResult> ValidateItemAsync(string contentId, long doneBefore, long total, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        // Held while the item is read: an import or delete of this item waits, so the record written at the end is
        // about the copy that was read. Other items are not held up.
        var itemLock = ItemLock(contentId);
        await itemLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await CheckItemAsync(contentId, doneBefore, total, progress, cancellationToken).ConfigureAwait(false);
            switch (result.State)
            {
                case ContentState.Valid:
                    ContentLog.ContentValid(_logger, contentId);
                    break;
                case ContentState.Corrupt:
                    ContentLog.ContentCorrupt(_logger, contentId, result.Message);
                    break;
                case ContentState.Missing:
                    ContentLog.ContentMissing(_logger, contentId, result.Message);
                    break;
                default:
                    ContentLog.ContentNotValidated(_logger, contentId, result.Message);
                    break;
            }

            return result;
        }
        finally
        {
            itemLock.Release();
        }
    }

    private async Task<ContentValidationResult> CheckItemAsync(string contentId, long doneBefore, long total, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        var directory = ItemDirectory(contentId);
        if (!Directory.Exists(directory))
        {
            return new ContentValidationResult(contentId, ContentState.Missing, [], 0, "the content was deleted while validation ran");
        }

        var manifest = ReadManifest(Path.Combine(directory, ManifestFileName), out var manifestBytes, out var unreadable);
        if (manifest is null)
        {
            return Record(contentId, ContentState.Corrupt, unreadable!, null, default);
        }

        var signature = ReadAllBytesOrEmpty(Path.Combine(directory, SignatureFileName));
        if (CheckManifest(contentId, manifest, manifestBytes, signature) is { } manifestProblem)
        {
            return Record(contentId, ContentState.Corrupt, manifestProblem, null, default);
        }

        var dataPath = Path.Combine(directory, DataFileName);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Record(contentId, ContentState.Missing, $"the data file '{dataPath}' does not exist", null, default);
        }

        using (handle)
        {
            var before = (Length: RandomAccess.GetLength(handle), LastWrite: File.GetLastWriteTimeUtc(handle));
            if (before.Length != manifest.FileSize)
            {
                return Record(contentId, ContentState.Corrupt, string.Create(CultureInfo.InvariantCulture,
                    $"the data file '{dataPath}' is {before.Length:N0} bytes; the manifest says {manifest.FileSize:N0}"), null, before);
            }

            var verifier = new BlockVerifier(manifest);
            var (hash, read) = await BlockPipeline.RunAsync(
                handle,
                manifest.BlockSize,
                [verifier.CheckChunk],
                bytes => progress?.Report(new ImportProgress(doneBefore + bytes, total, contentId)),
                cancellationToken).ConfigureAwait(false);

            // Written to while we read it, or replaced behind our open handle: what we read is not what is there.
            var after = (Length: RandomAccess.GetLength(handle), LastWrite: File.GetLastWriteTimeUtc(handle));
            var current = new FileInfo(dataPath);
            if (after != before || read != before.Length || !current.Exists || current.Length != before.Length || current.LastWriteTimeUtc != before.LastWrite)
            {
                return Record(contentId, ContentState.Unverified,
                    $"the data file '{dataPath}' changed while it was being validated; run content validation again", null, before);
            }

            if (verifier.BadBlockCount == 0 && hash.AsSpan().SequenceEqual(manifest.FileHash))
            {
                return Record(contentId, ContentState.Valid, string.Create(CultureInfo.InvariantCulture,
                    $"all {manifest.BlockCount:N0} blocks and the whole-file SHA-256 match the signed manifest"), null, before);
            }

            return Record(contentId, ContentState.Corrupt, DescribeBadBlocks(manifest, verifier), verifier, before);
        }
    }

    /// <summary>Writes the outcome into info.json and returns it as a result.</summary>
    private ContentValidationResult Record(string contentId, ContentState state, string message, BlockVerifier? verifier, (long Length, DateTime LastWrite) data)
    {
        var directory = ItemDirectory(contentId);
        var infoPath = Path.Combine(directory, InfoFileName);
        var previous = ContentInfo.TryRead(infoPath, out _);
        var manifest = ReadManifest(Path.Combine(directory, ManifestFileName), out _, out _);
        var now = _time.GetUtcNow();
        var badBlocks = verifier?.BadBlocks.ToArray() ?? [];
        var info = new ContentInfo
        {
            ContentId = contentId,
            Size = manifest?.FileSize ?? previous?.Size ?? 0,
            ZeroBytes = manifest?.ZeroBytes ?? previous?.ZeroBytes ?? 0,
            BlockSize = manifest?.BlockSize ?? previous?.BlockSize ?? 0,
            ImportedAt = previous?.ImportedAt ?? new DateTimeOffset(Directory.GetCreationTimeUtc(directory)),
            ImportedFrom = previous?.ImportedFrom,
            State = state,
            CheckedAt = now,
            DataLength = data.Length,
            DataLastWriteUtc = data.LastWrite,
            Message = state == ContentState.Valid ? null : message,
            BadBlocks = badBlocks.Length > 0 ? badBlocks : null,
            BadBlockCount = verifier?.BadBlockCount ?? 0,
        };
        try
        {
            DurableFile.Replace(infoPath, info.ToJson());
        }
        catch (DirectoryNotFoundException)
        {
            return new ContentValidationResult(contentId, ContentState.Missing, [], 0, "the content was deleted while validation ran");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk must not leave content that was just found bad looking valid: without its record an item
            // is Unverified, which is not servable, and removing a file needs no space.
            if (state != ContentState.Valid)
            {
                DurableFile.TryDelete(infoPath);
            }

            message += $" (the result could not be recorded in '{infoPath}': {e.Message})";
        }

        return new ContentValidationResult(contentId, state, badBlocks, verifier?.BadBlockCount ?? 0, message);
    }

    private static string DescribeBadBlocks(TransferManifest manifest, BlockVerifier verifier)
    {
        if (verifier.BadBlockCount == 0)
        {
            return "every block matches, but the whole-file SHA-256 does not match the manifest";
        }

        var text = new StringBuilder();
        if (verifier.BadBlockCount > 1)
        {
            text.Append(CultureInfo.InvariantCulture, $"{verifier.BadBlockCount:N0} of {manifest.BlockCount:N0} blocks do not match the manifest: ");
        }

        var listed = Math.Min(BadBlocksInMessage, verifier.BadBlocks.Count);
        for (var i = 0; i < listed; i++)
        {
            var block = verifier.BadBlocks[i];
            var start = (long)block * manifest.BlockSize;
            var end = start + manifest.BlockLength(block) - 1;
            text.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? "; " : "")}block {block} (bytes {start:N0}-{end:N0}) ")
                .Append(verifier.IsBadZeroBlock(i) ? "should be all zeros but is not" : "does not match its SHA-256");
        }

        if (verifier.BadBlockCount > listed)
        {
            text.Append("; …");
        }

        return text.ToString();
    }

    /// <summary>The file size a manifest declares, from its header alone (for progress totals); 0 when unreadable.</summary>
    private long DeclaredSize(string contentId)
    {
        try
        {
            using var handle = File.OpenHandle(Path.Combine(ItemDirectory(contentId), ManifestFileName));
            Span<byte> header = stackalloc byte[16];
            return RandomAccess.Read(handle, header, 0) == header.Length && header[..4].SequenceEqual("DCMF"u8)
                ? (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(header[8..]), long.MaxValue)
                : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
