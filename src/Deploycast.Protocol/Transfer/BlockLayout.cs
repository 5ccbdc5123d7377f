namespace Deploycast.Protocol.Transfer;

/// <summary>
/// How a session cuts its two objects into blocks. The manifest comes first (global blocks 0..M-1), then the
/// file (global blocks M..M+N-1). Every block is <see cref="SymbolsPerBlock"/> symbols of <see cref="SymbolSize"/>
/// bytes, except the last block of each object, which has as many symbols as its length needs (its last symbol is
/// zero-padded on the wire).
/// </summary>
public sealed class BlockLayout
{
    public BlockLayout(int symbolSize, int symbolsPerBlock, long manifestLength, long fileSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(symbolSize, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(symbolsPerBlock, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(symbolsPerBlock, 254);
        ArgumentOutOfRangeException.ThrowIfLessThan(manifestLength, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(fileSize);
        SymbolSize = symbolSize;
        SymbolsPerBlock = symbolsPerBlock;
        BlockSize = symbolSize * symbolsPerBlock;
        ManifestLength = manifestLength;
        FileSize = fileSize;
        ManifestBlocks = checked((int)((manifestLength + BlockSize - 1) / BlockSize));
        FileBlocks = checked((int)((fileSize + BlockSize - 1) / BlockSize));
        TotalBlocks = checked(ManifestBlocks + FileBlocks);
    }

    public int SymbolSize { get; }
    public int SymbolsPerBlock { get; }
    public int BlockSize { get; }
    public long ManifestLength { get; }
    public long FileSize { get; }
    public int ManifestBlocks { get; }
    public int FileBlocks { get; }
    public int TotalBlocks { get; }

    public bool IsManifestBlock(int block) => block < ManifestBlocks;

    /// <summary>Byte length of global block <paramref name="block"/>.</summary>
    public int BlockLength(int block)
    {
        var (objectLength, index) = block < ManifestBlocks ? (ManifestLength, block) : (FileSize, block - ManifestBlocks);
        return (int)Math.Min(BlockSize, objectLength - ((long)index * BlockSize));
    }

    /// <summary>Offset of global block <paramref name="block"/> within its object (manifest or file).</summary>
    public long ObjectOffset(int block) => (long)(block < ManifestBlocks ? block : block - ManifestBlocks) * BlockSize;

    /// <summary>Source symbols (k) of global block <paramref name="block"/>.</summary>
    public int SourceSymbols(int block) => (BlockLength(block) + SymbolSize - 1) / SymbolSize;
}
