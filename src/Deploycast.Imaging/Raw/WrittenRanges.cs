namespace Deploycast.Imaging.Raw;

/// <summary>
/// The byte ranges of an image written so far, kept merged and sorted. Blocks arrive in any order (multicast
/// rounds, unicast fallback); adjacent ones merge, so an image written in order stays one range. Not thread-safe.
/// </summary>
internal sealed class WrittenRanges
{
    // Sorted by start, never overlapping or touching.
    private readonly List<(long Start, long End)> _ranges = [];

    /// <summary>Number of separate ranges (for tests).</summary>
    public int Count => _ranges.Count;

    /// <summary>Adds [<paramref name="start"/>, <paramref name="end"/>) and returns how many of its bytes were new.</summary>
    public long Add(long start, long end)
    {
        if (end <= start)
        {
            return 0;
        }

        // First range that ends at or after start: it touches or follows the new one.
        var first = FirstEndingAtOrAfter(start);
        var last = first;
        long alreadyCovered = 0;
        var mergedStart = start;
        var mergedEnd = end;
        while (last < _ranges.Count && _ranges[last].Start <= end)
        {
            var (rangeStart, rangeEnd) = _ranges[last];
            alreadyCovered += Math.Max(0, Math.Min(rangeEnd, end) - Math.Max(rangeStart, start));
            mergedStart = Math.Min(mergedStart, rangeStart);
            mergedEnd = Math.Max(mergedEnd, rangeEnd);
            last++;
        }

        _ranges.RemoveRange(first, last - first);
        _ranges.Insert(first, (mergedStart, mergedEnd));
        return end - start - alreadyCovered;
    }

    /// <summary>True when any byte of [<paramref name="start"/>, <paramref name="end"/>) was written.</summary>
    public bool Overlaps(long start, long end)
    {
        var index = FirstEndingAtOrAfter(start + 1);
        return index < _ranges.Count && _ranges[index].Start < end;
    }

    /// <summary>The ranges of [0, <paramref name="length"/>) never written, in order.</summary>
    public IEnumerable<(long Start, long End)> Gaps(long length)
    {
        long position = 0;
        foreach (var (start, end) in _ranges.ToArray())
        {
            if (start >= length)
            {
                break;
            }

            if (start > position)
            {
                yield return (position, start);
            }

            position = Math.Max(position, end);
        }

        if (position < length)
        {
            yield return (position, length);
        }
    }

    private int FirstEndingAtOrAfter(long offset)
    {
        int low = 0, high = _ranges.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_ranges[middle].End < offset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
