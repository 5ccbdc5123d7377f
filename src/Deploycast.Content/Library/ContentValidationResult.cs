namespace Deploycast.Content.Library;

/// <summary>What validation found for one content item.</summary>
public sealed class ContentValidationResult
{
    internal ContentValidationResult(string contentId, ContentState state, IReadOnlyList<int> badBlocks, int badBlockCount, string message)
    {
        ContentId = contentId;
        State = state;
        BadBlocks = badBlocks;
        BadBlockCount = badBlockCount;
        Message = message;
    }

    /// <summary>The content checked.</summary>
    public string ContentId { get; }

    /// <summary><see cref="ContentState.Valid"/>, <see cref="ContentState.Corrupt"/>, <see cref="ContentState.Missing"/>,
    /// or <see cref="ContentState.Unverified"/> when the file changed while it was being read.</summary>
    public ContentState State { get; }

    /// <summary>Blocks that do not match the manifest, in order; at most <see cref="ValidationReport.MaxBadBlocksListed"/>.</summary>
    public IReadOnlyList<int> BadBlocks { get; }

    /// <summary>All blocks that do not match, including those beyond the list.</summary>
    public int BadBlockCount { get; }

    /// <summary>What was found, for an administrator, e.g. "block 17 (bytes 3,102,976-3,285,503) does not match its SHA-256".</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => $"{ContentId}: {State}: {Message}";
}
