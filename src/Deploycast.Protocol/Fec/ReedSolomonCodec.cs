using System.Buffers;
using System.Runtime.CompilerServices;

namespace Deploycast.Protocol.Fec;

/// <summary>
/// A systematic Reed-Solomon erasure code over GF(2^8): a block of k source symbols plus up to 255 - k parity
/// symbols, any k of which recover the block.
/// </summary>
/// <remarks>
/// <para>
/// Symbol ids 0..k-1 are the source symbols themselves; ids k..254 are parity symbols, parity index = id - k.
/// Parity index i is the row <c>c[i][j] = 1 / (x_i + y_j)</c> of a Cauchy matrix with x_i = k + i and y_j = j
/// (all 255 values distinct), so every square submatrix is invertible and the generator [I; C] is MDS.
/// The field uses the AES polynomial 0x11B, see <c>docs/fec.md</c>.
/// </para>
/// <para>
/// Instances are immutable and safe to share between threads; create one per source count and reuse it.
/// Encoding and decoding allocate nothing in steady state (decoding scratch comes from <see cref="ArrayPool{T}"/>).
/// </para>
/// </remarks>
[SkipLocalsInit]
public sealed unsafe class ReedSolomonCodec
{
    /// <summary>The most symbols (source plus parity) a block can have: k + parity &lt;= 255.</summary>
    public const int MaxSymbols = 255;

    // MaxParityCount rows of SourceCount coefficients: row i generates parity index i.
    private readonly byte[] _parityRows;
    private readonly GaloisKernelPath _path;

    /// <summary>Creates a codec for blocks of <paramref name="sourceCount"/> source symbols, using the fastest kernel the CPU supports.</summary>
    /// <param name="sourceCount">k, the number of source symbols per block: 1..254.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceCount"/> is outside 1..254.</exception>
    public ReedSolomonCodec(int sourceCount)
        : this(sourceCount, GaloisKernels.BestPath)
    {
    }

    /// <summary>Creates a codec that runs its kernels on a forced path (tests and benchmarks).</summary>
    internal ReedSolomonCodec(int sourceCount, GaloisKernelPath path)
    {
        if (sourceCount < 1 || sourceCount > MaxSymbols - 1)
        {
            FecThrowHelper.ThrowArgumentOutOfRange(
                nameof(sourceCount), sourceCount, $"The source count must be in 1..{MaxSymbols - 1}.");
        }

        if (!GaloisKernels.IsSupported(path))
        {
            FecThrowHelper.ThrowPathNotSupported(path);
        }

        SourceCount = sourceCount;
        MaxParityCount = MaxSymbols - sourceCount;
        _path = path;
        _parityRows = new byte[MaxParityCount * sourceCount];
        for (int i = 0; i < MaxParityCount; i++)
        {
            for (int j = 0; j < sourceCount; j++)
            {
                // x_i + y_j = (k + i) XOR j, nonzero because k + i > j.
                _parityRows[(i * sourceCount) + j] = GaloisField.Inverse((byte)((sourceCount + i) ^ j));
            }
        }
    }

    /// <summary>k, the number of source symbols per block.</summary>
    public int SourceCount { get; }

    /// <summary>The number of distinct parity symbols a block can have: 255 - k.</summary>
    public int MaxParityCount { get; }

    /// <summary>The kernel path this instance runs on.</summary>
    internal GaloisKernelPath KernelPath => _path;

    /// <summary>The k coefficients that generate parity index <paramref name="parityIndex"/>.</summary>
    internal ReadOnlySpan<byte> ParityRow(int parityIndex) =>
        new(_parityRows, parityIndex * SourceCount, SourceCount);

    /// <summary>Computes one parity symbol of a block.</summary>
    /// <param name="sources">The block's k source symbols laid out contiguously: exactly k * <paramref name="symbolSize"/> bytes.</param>
    /// <param name="symbolSize">Bytes per symbol, at least 1.</param>
    /// <param name="parityIndex">Which parity symbol: 0..<see cref="MaxParityCount"/> - 1 (symbol id k + parityIndex).</param>
    /// <param name="parity">Receives the parity symbol: exactly <paramref name="symbolSize"/> bytes.</param>
    public void EncodeParity(ReadOnlySpan<byte> sources, int symbolSize, int parityIndex, Span<byte> parity)
    {
        ValidateSources(sources.Length, symbolSize);
        if ((uint)parityIndex >= (uint)MaxParityCount)
        {
            FecThrowHelper.ThrowArgumentOutOfRange(
                nameof(parityIndex), parityIndex, $"The parity index must be in 0..{MaxParityCount - 1}.");
        }

        if (parity.Length != symbolSize)
        {
            FecThrowHelper.ThrowArgument(nameof(parity), "The parity buffer must be exactly one symbol long.");
        }

        GaloisKernels.MultiplyMatrix(
            _path, ParityRow(parityIndex), 1, SourceCount, sources, parity, symbolSize, accumulate: false);
    }

    /// <summary>
    /// Computes several parity symbols in one pass over the sources, which is faster than one call per parity:
    /// each chunk of source data is loaded once for all of them.
    /// </summary>
    /// <param name="sources">The block's k source symbols laid out contiguously: exactly k * <paramref name="symbolSize"/> bytes.</param>
    /// <param name="symbolSize">Bytes per symbol, at least 1.</param>
    /// <param name="parityIndices">The parity indices to compute, each in 0..<see cref="MaxParityCount"/> - 1; at most <see cref="MaxParityCount"/> of them.</param>
    /// <param name="parities">Receives parity j at <c>[(j * symbolSize)..]</c>: exactly <c>parityIndices.Length * symbolSize</c> bytes.</param>
    public void EncodeParity(ReadOnlySpan<byte> sources, int symbolSize, ReadOnlySpan<int> parityIndices, Span<byte> parities)
    {
        ValidateSources(sources.Length, symbolSize);
        int count = parityIndices.Length;
        if (count > MaxParityCount)
        {
            FecThrowHelper.ThrowArgument(nameof(parityIndices), $"At most {MaxParityCount} parity indices may be given.");
        }

        if (parities.Length != (long)count * symbolSize)
        {
            FecThrowHelper.ThrowArgument(nameof(parities), "The parity buffer must be exactly parityIndices.Length symbols long.");
        }

        if (count == 0)
        {
            return;
        }

        int k = SourceCount;
        byte[]? rented = null;
        Span<byte> matrix = count * k <= 4096
            ? stackalloc byte[4096]
            : (rented = ArrayPool<byte>.Shared.Rent(count * k));
        for (int i = 0; i < count; i++)
        {
            int parityIndex = parityIndices[i];
            if ((uint)parityIndex >= (uint)MaxParityCount)
            {
                FecThrowHelper.ThrowArgument(
                    nameof(parityIndices), $"Parity index {parityIndex} is outside 0..{MaxParityCount - 1}.");
            }

            ParityRow(parityIndex).CopyTo(matrix.Slice(i * k, k));
        }

        GaloisKernels.MultiplyMatrix(_path, matrix, count, k, sources, parities, symbolSize, accumulate: false);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Recovers the missing source symbols of a block in place.</summary>
    /// <param name="sources">The block's k source symbols laid out contiguously: exactly k * <paramref name="symbolSize"/> bytes.
    /// Missing symbols may hold anything and are overwritten with the recovered data.</param>
    /// <param name="symbolSize">Bytes per symbol, at least 1.</param>
    /// <param name="present">k flags: <c>present[i]</c> is true if source symbol i holds real data.</param>
    /// <param name="parities">The received parity symbols, parity j at <c>[(j * symbolSize)..]</c>: exactly
    /// <c>parityIndices.Length * symbolSize</c> bytes.</param>
    /// <param name="parityIndices">The parity index of each received parity symbol; distinct, each in 0..<see cref="MaxParityCount"/> - 1.</param>
    /// <returns>
    /// True if every source symbol is now present (including when none was missing); false, with
    /// <paramref name="sources"/> unchanged, if more sources are missing than parities were given. Only as many
    /// parities as there are missing sources are used (the first ones listed).
    /// </returns>
    public bool TryDecode(
        Span<byte> sources, int symbolSize, ReadOnlySpan<bool> present, ReadOnlySpan<byte> parities, ReadOnlySpan<int> parityIndices)
    {
        int k = SourceCount;
        ValidateSources(sources.Length, symbolSize);
        if (present.Length != k)
        {
            FecThrowHelper.ThrowArgument(nameof(present), "There must be exactly one presence flag per source symbol.");
        }

        if (parities.Length != (long)parityIndices.Length * symbolSize)
        {
            FecThrowHelper.ThrowArgument(nameof(parities), "The parity buffer must be exactly parityIndices.Length symbols long.");
        }

        ValidateDistinctParityIndices(parityIndices);

        int m = 0;
        for (int i = 0; i < k; i++)
        {
            if (!present[i])
            {
                m++;
            }
        }

        if (m == 0)
        {
            return true;
        }

        if (m > parityIndices.Length)
        {
            return false;
        }

        int presentCount = k - m;
        Span<int> missing = stackalloc int[MaxSymbols];
        Span<int> available = stackalloc int[MaxSymbols];
        for (int i = 0, mi = 0, ai = 0; i < k; i++)
        {
            if (present[i])
            {
                available[ai++] = i;
            }
            else
            {
                missing[mi++] = i;
            }
        }

        // With P the chosen parities, S_m the missing and S_p the present sources: P = C_m * S_m + C_p * S_p, so
        // S_m = C_m^-1 * C_p * S_p + C_m^-1 * P (minus is plus in GF(2^8)). Eliminating [C_m | C_p | I] to
        // [I | C_m^-1 * C_p | C_m^-1] leaves the decoding matrix over the inputs [present sources | parities]
        // in its right-hand k columns.
        int width = m + k;
        byte[] rented = ArrayPool<byte>.Shared.Rent((m * width) + (m * k));
        try
        {
            Span<byte> work = rented.AsSpan(0, m * width);
            Span<byte> decoding = rented.AsSpan(m * width, m * k);
            work.Clear();
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<byte> coefficients = ParityRow(parityIndices[i]);
                Span<byte> row = work.Slice(i * width, width);
                for (int j = 0; j < m; j++)
                {
                    row[j] = coefficients[missing[j]];
                }

                for (int j = 0; j < presentCount; j++)
                {
                    row[m + j] = coefficients[available[j]];
                }

                row[m + presentCount + i] = 1;
            }

            if (!GaloisMatrix.TryEliminate(_path, work, m, width))
            {
                FecThrowHelper.ThrowSingularMatrix();
            }

            for (int i = 0; i < m; i++)
            {
                work.Slice((i * width) + m, k).CopyTo(decoding.Slice(i * k, k));
            }

            Span<nint> inputs = stackalloc nint[MaxSymbols];
            Span<nint> outputs = stackalloc nint[MaxSymbols];
            fixed (byte* sourceBase = sources)
            fixed (byte* parityBase = parities)
            {
                for (int j = 0; j < presentCount; j++)
                {
                    inputs[j] = (nint)(sourceBase + ((nint)available[j] * symbolSize));
                }

                for (int j = 0; j < m; j++)
                {
                    inputs[presentCount + j] = (nint)(parityBase + ((nint)j * symbolSize));
                    outputs[j] = (nint)(sourceBase + ((nint)missing[j] * symbolSize));
                }

                GaloisKernels.MultiplyMatrix(_path, decoding, m, k, inputs, outputs, symbolSize, accumulate: false);
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void ValidateSources(int sourcesLength, int symbolSize)
    {
        if (symbolSize < 1)
        {
            FecThrowHelper.ThrowArgumentOutOfRange(nameof(symbolSize), symbolSize, "The symbol size must be at least 1.");
        }

        if (sourcesLength != (long)SourceCount * symbolSize)
        {
            FecThrowHelper.ThrowArgument("sources", "The sources must be exactly SourceCount * symbolSize bytes.");
        }
    }

    private void ValidateDistinctParityIndices(ReadOnlySpan<int> parityIndices)
    {
        Span<bool> seen = stackalloc bool[MaxSymbols];
        seen.Clear();
        foreach (int parityIndex in parityIndices)
        {
            if ((uint)parityIndex >= (uint)MaxParityCount)
            {
                FecThrowHelper.ThrowArgument(
                    nameof(parityIndices), $"Parity index {parityIndex} is outside 0..{MaxParityCount - 1}.");
            }

            if (seen[parityIndex])
            {
                FecThrowHelper.ThrowArgument(nameof(parityIndices), $"Parity index {parityIndex} is listed twice.");
            }

            seen[parityIndex] = true;
        }
    }
}
