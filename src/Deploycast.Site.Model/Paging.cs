namespace Deploycast.Site.Model;

/// <summary>Which slice of a list to return.</summary>
/// <param name="Skip">How many items to skip, from 0.</param>
/// <param name="Take">How many to return, 1 to <see cref="MaxTake"/>.</param>
public readonly record struct Page(int Skip, int Take)
{
    /// <summary>The largest page.</summary>
    public const int MaxTake = 1000;

    /// <summary>The first 100 items.</summary>
    public static Page Default => new(0, 100);

    /// <summary>Everything (for the site's own use, not the API).</summary>
    public static Page All => new(0, int.MaxValue);
}

/// <summary>A slice of a list and the list's full length.</summary>
public sealed record PagedResult<T>(IReadOnlyList<T> Items, long Total);
