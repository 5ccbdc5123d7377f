using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Deploycast.Content.Signing;
using Deploycast.Content.Storage;
using Deploycast.Protocol.Manifests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Content.Library;

/// <summary>
/// A distribution point's content library: image files stored by the SHA-256 of their bytes, each with a manifest
/// signed by the site key and a record of its state. See docs/content-library.md for the layout on disk.
/// </summary>
/// <remarks>
/// One library instance owns its root directory: a second one, in this process or another, fails to open it (an
/// advisory lock on <c>library.lock</c>), which is what makes removing leftovers of interrupted imports safe.
/// Methods are safe to call from several threads.
/// </remarks>
public sealed partial class ContentLibrary : IDisposable
{
    internal const string DataFileName = "data";
    internal const string ManifestFileName = "manifest";
    internal const string SignatureFileName = "manifest.sig";
    internal const string InfoFileName = "info.json";
    private const string LockFileName = "library.lock";

    private readonly SiteKey _key;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly int _blockSize;
    private readonly string _root;
    private readonly string _contentRoot;
    private readonly string _stagingRoot;
    private readonly FileStream _lockFile;

    // Public keys (DER SubjectPublicKeyInfo) besides _key whose manifest signatures the library accepts: the site's key
    // on a distribution point that stores content distributed by its site, signed there and never re-signed here.
    private volatile byte[][] _trustedKeys = [];

    // One per content id: serializes what changes or judges an item directory (an import's commit, a delete, a
    // validation). Imports read and hash outside it; different items never wait for each other.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _itemLocks = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Opens the library at <see cref="ContentLibraryOptions.Root"/>, creating it when new.</summary>
    /// <param name="options">Root directory and block size; checked here.</param>
    /// <param name="key">Signs new manifests and verifies stored ones.</param>
    /// <param name="logger">Optional.</param>
    /// <param name="timeProvider">Clock for import and validation times; <see cref="TimeProvider.System"/> by default.</param>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    /// <exception cref="IOException">Another library instance has the root open.</exception>
    public ContentLibrary(ContentLibraryOptions options, SiteKey key, ILogger<ContentLibrary>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(key);
        options.Validate();
        _key = key;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _blockSize = options.BlockSize;
        _root = Path.GetFullPath(options.Root);
        _contentRoot = Path.Combine(_root, "content");
        _stagingRoot = Path.Combine(_root, "staging");
        DurableFile.CreateDirectory(_root);
        try
        {
            _lockFile = new FileStream(Path.Combine(_root, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException(
                $"The content library '{_root}' is already open (by another server process, or another ContentLibrary in this one). One library has one owner.",
                e);
        }

        try
        {
            DurableFile.CreateDirectory(_contentRoot);
            DurableFile.CreateDirectory(_stagingRoot);
            RemoveLeftoverStaging();
        }
        catch
        {
            _lockFile.Dispose();
            throw;
        }

        ContentLog.LibraryOpened(_logger, _root, _blockSize);
    }

    /// <summary>Full path of the library's root directory.</summary>
    public string Root => _root;

    /// <summary>Block size of new manifests.</summary>
    public int BlockSize => _blockSize;

    /// <summary>
    /// The stored content <paramref name="contentId"/>, or null when the library holds no readable copy of it.
    /// Its manifest signature is checked: a manifest that does not verify with the site key makes the item
    /// <see cref="ContentState.Corrupt"/>. The data file is not read (that is what validation does).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="contentId"/> is not 64 lowercase hex characters.</exception>
    public ContentItem? Get(string contentId)
    {
        ContentIds.ThrowIfInvalid(contentId, nameof(contentId));
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Load(contentId, dataHandle: null, out _);
    }

    /// <summary>Every stored item, in content id order. Items whose manifest cannot be read are left out and logged.</summary>
    public IReadOnlyList<ContentItem> List()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var items = new List<ContentItem>();
        foreach (var id in EnumerateIds())
        {
            var item = Load(id, dataHandle: null, out var unreadable);
            if (item is not null)
            {
                items.Add(item);
            }
            else if (unreadable is not null)
            {
                ContentLog.ManifestUnreadable(_logger, id, unreadable);
            }
        }

        return items;
    }

    /// <summary>
    /// True when <paramref name="item"/> may be served now: the last check (import or validation) found it good and
    /// its data file still has the length and last-write time it had then. Looks at the disk again; the state
    /// recorded in <paramref name="item"/> may be old.
    /// </summary>
    public bool IsServable(ContentItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Load(item.ContentId, dataHandle: null, out _)?.State == ContentState.Valid;
    }

    /// <summary>Opens the stored file of <paramref name="contentId"/> for reading, when it is servable.</summary>
    /// <exception cref="ContentUnavailableException">
    /// The content is not in the library, is corrupt or missing, or changed since it was last validated. The message
    /// names the content and says what to do.
    /// </exception>
    public Stream OpenRead(string contentId)
    {
        ContentIds.ThrowIfInvalid(contentId, nameof(contentId));
        ObjectDisposedException.ThrowIf(_disposed, this);
        SafeFileHandle? handle = null;
        try
        {
            handle = File.OpenHandle(Path.Combine(ItemDirectory(contentId), DataFileName), FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
        }

        try
        {
            // The state is judged on the handle we return, so a file swapped in after the check cannot slip through.
            var item = Load(contentId, handle, out var unreadable);
            if (item is null)
            {
                throw new ContentUnavailableException(contentId, unreadable is null ? null : ContentState.Corrupt, unreadable is null
                    ? $"Content {contentId} is not in the content library."
                    : $"Content {contentId} cannot be served: it is corrupt ({unreadable}). Import the image again.");
            }

            if (item.State != ContentState.Valid)
            {
                throw new ContentUnavailableException(contentId, item.State, item.State switch
                {
                    ContentState.Corrupt => $"Content {contentId} cannot be served: it is corrupt: {item.StateMessage}. Import the image again, or restore the file and run content validation.",
                    ContentState.Missing => $"Content {contentId} cannot be served: it is missing: {item.StateMessage}. Import the image again.",
                    _ => $"Content {contentId} cannot be served: {item.StateMessage}.",
                });
            }

            var stream = new FileStream(handle!, FileAccess.Read, bufferSize: 0);
            handle = null;
            return stream;
        }
        finally
        {
            handle?.Dispose();
        }
    }

    /// <summary>Removes <paramref name="contentId"/> from the library. False when it was not there.</summary>
    /// <remarks>Streams already open keep reading the removed file.</remarks>
    public bool Delete(string contentId)
    {
        ContentIds.ThrowIfInvalid(contentId, nameof(contentId));
        ObjectDisposedException.ThrowIf(_disposed, this);
        var itemLock = ItemLock(contentId);
        itemLock.Wait();
        try
        {
            var directory = ItemDirectory(contentId);
            if (!Directory.Exists(directory))
            {
                return false;
            }

            // Moved out first, so a delete interrupted half-way never leaves a half item in the library.
            RemoveDirectory(MoveToStaging(directory, "deleted"));
            ContentLog.ContentDeleted(_logger, contentId);
            return true;
        }
        finally
        {
            itemLock.Release();
        }
    }

    /// <summary>Releases the library's lock on its root.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _lockFile.Dispose();
    }

    private SemaphoreSlim ItemLock(string contentId) => _itemLocks.GetOrAdd(contentId, static _ => new SemaphoreSlim(1, 1));

    internal string ItemDirectory(string contentId) => Path.Combine(_contentRoot, contentId[..2], contentId);

    internal string StagingRoot => _stagingRoot;

    /// <summary>Item ids present on disk (directories named like content ids), in order.</summary>
    private List<string> EnumerateIds()
    {
        var ids = new List<string>();
        foreach (var prefix in Directory.EnumerateDirectories(_contentRoot))
        {
            var prefixName = Path.GetFileName(prefix);
            foreach (var directory in Directory.EnumerateDirectories(prefix))
            {
                var id = Path.GetFileName(directory);
                if (ContentIds.IsValid(id) && id.StartsWith(prefixName, StringComparison.Ordinal) && prefixName.Length == 2)
                {
                    ids.Add(id);
                }
            }
        }

        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>
    /// Reads an item and judges its state without reading its data. Null when there is no item directory, or (with
    /// <paramref name="unreadable"/> set) when its manifest cannot be read. When <paramref name="dataHandle"/> is given
    /// its length and last-write time are the ones compared; otherwise the data file's by path.
    /// </summary>
    private ContentItem? Load(string contentId, SafeFileHandle? dataHandle, out string? unreadable)
    {
        unreadable = null;
        var directory = ItemDirectory(contentId);
        if (!Directory.Exists(directory))
        {
            return null;
        }

        var manifestPath = Path.Combine(directory, ManifestFileName);
        var manifest = ReadManifest(manifestPath, out var manifestBytes, out unreadable);
        if (manifest is null)
        {
            return null;
        }

        var dataPath = Path.Combine(directory, DataFileName);
        var signature = ReadAllBytesOrEmpty(Path.Combine(directory, SignatureFileName));
        var info = ContentInfo.TryRead(Path.Combine(directory, InfoFileName), out var infoError);
        var importedAt = info?.ImportedAt ?? new DateTimeOffset(File.GetLastWriteTimeUtc(manifestPath));
        var (state, message) = Judge(contentId, manifest, manifestBytes, signature, info, infoError, dataPath, dataHandle);
        return new ContentItem(contentId, manifest, manifestBytes, signature, dataPath, importedAt, state, message, info?.CheckedAt);
    }

    private (ContentState State, string? Message) Judge(string contentId, TransferManifest manifest, byte[] manifestBytes, byte[] signature,
        ContentInfo? info, string? infoError, string dataPath, SafeFileHandle? dataHandle)
    {
        if (CheckManifest(contentId, manifest, manifestBytes, signature) is { } manifestProblem)
        {
            return (ContentState.Corrupt, manifestProblem);
        }

        if (!TryStat(dataPath, dataHandle, out var length, out var lastWrite))
        {
            return (ContentState.Missing, $"the data file '{dataPath}' does not exist");
        }

        if (info is null)
        {
            return (ContentState.Unverified, $"the library's record of it is lost ({infoError}); run content validation");
        }

        switch (info.State)
        {
            case ContentState.Corrupt:
                return (ContentState.Corrupt, info.Message ?? "the last validation found it corrupt");
            case ContentState.Missing:
                return (ContentState.Unverified, "its data file was missing at the last validation; run content validation");
            case ContentState.Unverified:
                return (ContentState.Unverified, "it changed while the last validation read it; run content validation");
        }

        if (length != info.DataLength || lastWrite != info.DataLastWriteUtc)
        {
            var what = length != info.DataLength
                ? string.Create(CultureInfo.InvariantCulture, $"its length is {length:N0} bytes, was {info.DataLength:N0}")
                : string.Create(CultureInfo.InvariantCulture, $"its last-write time is {lastWrite:O}, was {info.DataLastWriteUtc:O}");
            return (ContentState.Unverified, $"the data file '{dataPath}' changed since it was last validated ({what}); run content validation before serving it");
        }

        return (ContentState.Valid, null);
    }

    /// <summary>Why the manifest cannot be trusted for this item, or null when it can.</summary>
    private string? CheckManifest(string contentId, TransferManifest manifest, byte[] manifestBytes, byte[] signature)
    {
        // A signed manifest of other content, copied here with its signature, verifies: the id must match too.
        var manifestId = Convert.ToHexStringLower(manifest.FileHash);
        if (manifestId != contentId)
        {
            return $"its manifest describes content {manifestId}, not this one";
        }

        if (signature.Length == 0)
        {
            return "its manifest signature (manifest.sig) is missing";
        }

        if (!IsTrustedSignature(manifestBytes, signature))
        {
            return $"its manifest signature does not verify with the site key (fingerprint {_key.Fingerprint}) or a key the library trusts; " +
                "the manifest or its signature was changed, or the site key was replaced";
        }

        return null;
    }

    /// <summary>
    /// Also accepts manifests signed by the key in <paramref name="publicKeySpki"/> (DER SubjectPublicKeyInfo): a
    /// distribution point trusts its site's key for content the site distributed to it. Takes effect for every later
    /// check; adding a key twice changes nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The bytes are not an ECDSA P-256 public key.</exception>
    public void TrustKey(byte[] publicKeySpki)
    {
        ArgumentNullException.ThrowIfNull(publicKeySpki);
        using (var check = ECDsa.Create())
        {
            try
            {
                check.ImportSubjectPublicKeyInfo(publicKeySpki, out _);
            }
            catch (CryptographicException e)
            {
                throw new ArgumentException("The trusted key is not a DER SubjectPublicKeyInfo of an ECDSA key.", nameof(publicKeySpki), e);
            }
        }

        lock (_itemLocks)
        {
            if (!_trustedKeys.Any(k => k.AsSpan().SequenceEqual(publicKeySpki)))
            {
                _trustedKeys = [.. _trustedKeys, (byte[])publicKeySpki.Clone()];
            }
        }
    }

    private bool IsTrustedSignature(byte[] manifestBytes, byte[] signature)
    {
        if (_key.Verify(manifestBytes, signature))
        {
            return true;
        }

        foreach (var key in _trustedKeys)
        {
            if (ManifestSignature.Verify(key, manifestBytes, signature))
            {
                return true;
            }
        }

        return false;
    }

    private static TransferManifest? ReadManifest(string path, out byte[] bytes, out string? error)
    {
        bytes = ReadAllBytesOrEmpty(path);
        if (bytes.Length == 0)
        {
            error = "the manifest file is missing or empty";
            return null;
        }

        var manifest = TransferManifest.TryParse(bytes, out var parseError);
        error = manifest is null ? $"the manifest file is damaged: {parseError}" : null;
        return manifest;
    }

    private static byte[] ReadAllBytesOrEmpty(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
    }

    private static bool TryStat(string path, SafeFileHandle? handle, out long length, out DateTime lastWriteUtc)
    {
        if (handle is not null)
        {
            length = RandomAccess.GetLength(handle);
            lastWriteUtc = File.GetLastWriteTimeUtc(handle);
            return true;
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            length = 0;
            lastWriteUtc = default;
            return false;
        }

        length = file.Length;
        lastWriteUtc = file.LastWriteTimeUtc;
        return true;
    }

    private string MoveToStaging(string directory, string purpose)
    {
        var target = Path.Combine(_stagingRoot, $"{purpose}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        Directory.Move(directory, target);
        UnixFile.SyncDirectory(Path.GetDirectoryName(directory)!);
        return target;
    }

    /// <summary>
    /// Best effort: it runs while another error is being reported, and whatever it leaves in staging is removed
    /// when the library opens next.
    /// </summary>
    private static void RemoveDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>An import or delete that a crash interrupted leaves its files in staging; nothing else uses them.</summary>
    private void RemoveLeftoverStaging()
    {
        var count = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(_stagingRoot))
        {
            if (Directory.Exists(entry))
            {
                RemoveDirectory(entry);
            }
            else
            {
                File.Delete(entry);
            }

            count++;
        }

        if (count > 0)
        {
            ContentLog.StagingRemoved(_logger, count, _stagingRoot);
        }
    }
}
