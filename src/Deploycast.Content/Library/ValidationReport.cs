namespace Deploycast.Content.Library;

/// <summary>The outcome of "Validate content": one result per content item checked.</summary>
public sealed class ValidationReport
{
    /// <summary>Most bad blocks listed per item (all are counted).</summary>
    public const int MaxBadBlocksListed = 100;

    internal ValidationReport(IReadOnlyList<ContentValidationResult> items) => Items = items;

    /// <summary>One result per item, in content id order.</summary>
    public IReadOnlyList<ContentValidationResult> Items { get; }

    /// <summary>True when every item checked is valid.</summary>
    public bool AllValid => Items.All(i => i.State == ContentState.Valid);

    /// <summary>Items in <paramref name="state"/>.</summary>
    public int Count(ContentState state) => Items.Count(i => i.State == state);
}
