using System.Numerics;

namespace Deploycast.Multicast.Sending;

/// <summary>
/// Blocks waiting for repair symbols with the largest need any receiver reported for each, served in block order
/// from a rotating cursor (a carousel), so every pending block is reached in turn.
/// </summary>
internal sealed class PendingSet(int blocks)
{
    private readonly ulong[] _bits = new ulong[(blocks + 63) / 64];
    private readonly byte[] _need = new byte[blocks];
    private int _cursor;

    public int Count { get; private set; }

    public bool IsEmpty => Count == 0;

    /// <summary>Records that some receiver needs <paramref name="need"/> more symbols of <paramref name="block"/>.</summary>
    public void Add(int block, int need)
    {
        ref var bits = ref _bits[block >> 6];
        var mask = 1UL << (block & 63);
        if ((bits & mask) == 0)
        {
            bits |= mask;
            Count++;
            _need[block] = (byte)need;
        }
        else if (need > _need[block])
        {
            _need[block] = (byte)need;
        }
    }

    public void Remove(int block)
    {
        ref var bits = ref _bits[block >> 6];
        var mask = 1UL << (block & 63);
        if ((bits & mask) != 0)
        {
            bits &= ~mask;
            Count--;
        }
    }

    /// <summary>Takes the next pending block at or after the cursor (wrapping), with its need.</summary>
    public bool TryTakeNext(out int block, out int need)
    {
        block = -1;
        need = 0;
        if (Count == 0)
        {
            return false;
        }

        var words = _bits.Length;
        var word = _cursor >> 6;
        var masked = _bits[word] & (~0UL << (_cursor & 63));
        for (var scanned = 0; scanned <= words; scanned++)
        {
            if (masked != 0)
            {
                block = (word << 6) + BitOperations.TrailingZeroCount(masked);
                need = _need[block];
                Remove(block);
                _cursor = block + 1 >= _need.Length ? 0 : block + 1;
                return true;
            }

            word = word + 1 == words ? 0 : word + 1;
            masked = _bits[word];
        }

        return false;
    }
}
