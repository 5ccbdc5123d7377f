using Deploycast.Protocol.Fec;

namespace Deploycast.Multicast.Receiving;

/// <summary>
/// One block being received: source symbols at their places, parity symbols after them, and which ids arrived.
/// When k distinct symbols are in, it is handed to the block processor to decode, verify and write. Pooled.
/// </summary>
internal sealed class PartialBlock
{
    private readonly ulong[] _received = new ulong[4];
    private readonly bool[] _present;
    private readonly int[] _parityIds;

    public PartialBlock(int symbolSize, int symbolsPerBlock)
    {
        SymbolSize = symbolSize;
        ParityCapacity = Math.Min(symbolsPerBlock, 255 - symbolsPerBlock);
        Buffer = GC.AllocateArray<byte>((symbolsPerBlock + ParityCapacity) * symbolSize, pinned: true);
        _present = new bool[symbolsPerBlock];
        _parityIds = new int[ParityCapacity];
    }

    public int SymbolSize { get; }
    public int ParityCapacity { get; }
    public byte[] Buffer { get; }
    public int Block { get; private set; }
    public int SourceSymbols { get; private set; }
    public int Received { get; private set; }
    public int ParityCount { get; private set; }

    /// <summary>Set by the processor: decoded and (for file blocks) verified and written.</summary>
    public bool Succeeded { get; set; }

    /// <summary>Symbols still needed to decode.</summary>
    public int Need => SourceSymbols - Received;

    public void Reset(int block, int sourceSymbols)
    {
        Block = block;
        SourceSymbols = sourceSymbols;
        Received = 0;
        ParityCount = 0;
        Succeeded = false;
        Array.Clear(_received);
        _present.AsSpan(0, sourceSymbols).Clear();
    }

    /// <summary>Stores a symbol; false if it was a duplicate or not useful.</summary>
    public bool TryAdd(int symbolId, ReadOnlySpan<byte> symbol)
    {
        ref var word = ref _received[symbolId >> 6];
        var mask = 1UL << (symbolId & 63);
        if ((word & mask) != 0 || Received >= SourceSymbols)
        {
            return false;
        }

        if (symbolId < SourceSymbols)
        {
            symbol.CopyTo(Buffer.AsSpan(symbolId * SymbolSize, SymbolSize));
            _present[symbolId] = true;
        }
        else
        {
            if (ParityCount == ParityCapacity)
            {
                return false;
            }

            symbol.CopyTo(Buffer.AsSpan((SourceSymbols + ParityCount) * SymbolSize, SymbolSize));
            _parityIds[ParityCount++] = symbolId - SourceSymbols;
        }

        word |= mask;
        Received++;
        return true;
    }

    public bool IsComplete => Received >= SourceSymbols;

    /// <summary>Recovers missing source symbols in place; the block's bytes are then <c>Buffer[..SourceSymbols*SymbolSize]</c>.</summary>
    public bool TryDecode(ReedSolomonCodec codec)
    {
        var sourceBytes = SourceSymbols * SymbolSize;
        if (ParityCount == 0)
        {
            return true;
        }

        return codec.TryDecode(
            Buffer.AsSpan(0, sourceBytes),
            SymbolSize,
            _present.AsSpan(0, SourceSymbols),
            Buffer.AsSpan(sourceBytes, ParityCount * SymbolSize),
            _parityIds.AsSpan(0, ParityCount));
    }
}
