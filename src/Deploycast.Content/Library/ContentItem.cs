using Deploycast.Protocol.Manifests;

namespace Deploycast.Content.Library;

/// <summary>One stored version of package content: an image file, its signed manifest and its state.</summary>
public sealed class ContentItem
{
    internal ContentItem(string contentId, TransferManifest manifest, byte[] manifestBytes, byte[] signature, string dataPath,
        DateTimeOffset importedAt, ContentState state, string? stateMessage, DateTimeOffset? lastCheckedAt)
    {
        ContentId = contentId;
        Manifest = manifest;
        ManifestBytes = manifestBytes;
        Signature = signature;
        DataPath = dataPath;
        ImportedAt = importedAt;
        State = state;
        StateMessage = stateMessage;
        LastCheckedAt = lastCheckedAt;
    }

    /// <summary>Lowercase hex SHA-256 of the whole file (64 characters): the same bytes always get the same id.</summary>
    public string ContentId { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long Size => Manifest.FileSize;

    /// <summary>Bytes in all-zero blocks: never stored on disk (the data file is sparse) and never sent by multicast.</summary>
    public long ZeroBytes => Manifest.ZeroBytes;

    /// <summary>Block size of the manifest.</summary>
    public int BlockSize => Manifest.BlockSize;

    /// <summary>The manifest: per-block and whole-file SHA-256 and the all-zero blocks.</summary>
    public TransferManifest Manifest { get; }

    /// <summary>The serialized manifest exactly as signed (what clients are sent).</summary>
    public byte[] ManifestBytes { get; }

    /// <summary>The site key's signature of <see cref="ManifestBytes"/>: 64 bytes r || s (see <see cref="Signing.SiteKey"/>).</summary>
    public byte[] Signature { get; }

    /// <summary>Full path of the stored file.</summary>
    public string DataPath { get; }

    /// <summary>When the content was first imported.</summary>
    public DateTimeOffset ImportedAt { get; }

    /// <summary>State when this item was read. Use <see cref="ContentLibrary.IsServable"/> to decide whether to serve it.</summary>
    public ContentState State { get; }

    /// <summary>Why the state is not <see cref="ContentState.Valid"/>; null when it is.</summary>
    public string? StateMessage { get; }

    /// <summary>When the content was last checked in full (import or validation); null when unknown.</summary>
    public DateTimeOffset? LastCheckedAt { get; }

    /// <inheritdoc />
    public override string ToString() => $"{ContentId} ({Size:N0} bytes, {State})";
}
