using System.Globalization;
using System.Security.Cryptography;
using Deploycast.Multicast.Storage;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Content;

/// <summary>
/// A downloaded file whose whole-file SHA-256 was checked against the content id, remembered in a small
/// <c>.verified</c> file beside it (content id, length and last-write time), so the next step that needs the same
/// content finds it at once instead of reading gigabytes again. A file changed since (length or time) is hashed again.
/// </summary>
internal static class VerifiedCopy
{
    /// <summary>The marker beside <paramref name="path"/>.</summary>
    public static string MarkerPath(string path) => path + ".verified";

    /// <summary>True when <paramref name="path"/> is complete and its marker says it was verified as it is now.</summary>
    public static bool IsMarked(string path, PolicyContent content)
    {
        var marker = MarkerPath(path);
        if (!File.Exists(path) || !File.Exists(marker) || File.Exists(BlockMapFile.PathFor(path)))
        {
            return false;
        }

        try
        {
            return string.Equals(File.ReadAllText(marker).Trim(), Describe(path, content), StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Hashes a complete file (no block map beside it) and, when it is the content, marks it. False when the file is
    /// missing, still partial, or not the content.
    /// </summary>
    public static async Task<bool> CheckAndMarkAsync(string path, PolicyContent content, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        return IsComplete(path, content)
            && await HashEqualsAsync(path, content.ContentId, progress, cancellationToken).ConfigureAwait(false)
            && await MarkAsync(path, content, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks a complete file (no block map beside it, the content's length) that is known to be the content: every
    /// block of it was checked against a signed manifest whose whole-file hash is the content id.
    /// </summary>
    public static async Task<bool> MarkAsync(string path, PolicyContent content, CancellationToken cancellationToken)
    {
        if (!IsComplete(path, content))
        {
            return false;
        }

        var marker = MarkerPath(path);
        await File.WriteAllTextAsync(marker + ".tmp", Describe(path, content), cancellationToken).ConfigureAwait(false);
        File.Move(marker + ".tmp", marker, overwrite: true);
        return true;
    }

    /// <summary>The file is there, has no block map beside it (no download of it is under way) and the content's length.</summary>
    private static bool IsComplete(string path, PolicyContent content) =>
        File.Exists(path) && !File.Exists(BlockMapFile.PathFor(path)) && new FileInfo(path).Length == content.Size;

    /// <summary>Whether the SHA-256 of the file is <paramref name="contentId"/> (hex, any case).</summary>
    public static async Task<bool> HashEqualsAsync(string path, string contentId, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[4 << 20];
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
        long done = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            done += read;
            progress?.Report(done);
        }

        return string.Equals(Convert.ToHexStringLower(hash.GetHashAndReset()), contentId, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Removes the file's marker (before the file is written again).</summary>
    public static void Unmark(string path) => File.Delete(MarkerPath(path));

    private static string Describe(string path, PolicyContent content)
    {
        var info = new FileInfo(path);
        return string.Create(CultureInfo.InvariantCulture,
            $"{content.ContentId.ToLowerInvariant()} {info.Length} {info.LastWriteTimeUtc.Ticks}");
    }
}
