using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Deploycast.Protocol.Fec;

/// <summary>
/// Bulk GF(256) kernels: <c>dst ^= c * src</c> and a matrix product over whole symbols, each with a scalar
/// reference path, split-nibble shuffle paths (16/32/64-byte vectors) and GFNI paths.
/// </summary>
/// <remarks>
/// The matrix kernel is the hot path of both encoding and decoding. It walks the data in chunks small enough
/// that every input's chunk stays in L1, and within a chunk computes up to <see cref="MaxGroupRows"/> output rows
/// per pass with the accumulators in registers, so each input vector is loaded once per group of rows and the
/// outputs are written once. Lengths that are not a multiple of the vector width end with one overlapping
/// window whose store is masked to the bytes the main loop did not cover; spans shorter than one vector run on
/// the next narrower path of the same family, and below 16 bytes on the scalar path.
/// </remarks>
[SkipLocalsInit]
internal static unsafe class GaloisKernels
{
    /// <summary>Output rows computed per pass over the inputs (accumulators held in registers).</summary>
    internal const int MaxGroupRows = 8;

    /// <summary>Largest rows or cols the matrix kernel takes: a Reed-Solomon block has at most 255 symbols.</summary>
    internal const int MaxDimension = 255;

    // Bytes of input (cols * chunk) kept hot in L1 while every row group is computed over that chunk.
    private const int L1ChunkBudget = 16 * 1024;

    private const int MaxWidth = 64;

    // Coefficient blocks up to this many entries (8 KiB) live on the stack; larger ones come from the pool.
    private const int StackCoefficientLimit = 2048;

    // MaxWidth zero bytes then MaxWidth 0xFF bytes: a window into it masks the last n bytes of a vector.
    // Pinned (POH) and rooted by this field, so the kernels address it through a raw pointer.
    private static readonly byte[] s_tailMaskArray = CreateTailMasks();
    private static readonly byte* s_tailMasks =
        (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s_tailMaskArray));

    /// <summary>The fastest path this CPU supports, chosen once at start-up.</summary>
    public static GaloisKernelPath BestPath { get; } = SelectBestPath();

    /// <summary>Whether the running CPU (and JIT) can execute <paramref name="path"/>.</summary>
    public static bool IsSupported(GaloisKernelPath path) => path switch
    {
        GaloisKernelPath.Scalar => true,
        GaloisKernelPath.Vector128 => Ssse3.IsSupported || AdvSimd.Arm64.IsSupported,
        GaloisKernelPath.Vector256 => Avx2.IsSupported,
        GaloisKernelPath.Vector512 => Avx512BW.IsSupported,
        GaloisKernelPath.Gfni128 => Gfni.IsSupported,
        GaloisKernelPath.Gfni256 => Gfni.V256.IsSupported,
        GaloisKernelPath.Gfni512 => Gfni.V512.IsSupported,
        _ => false,
    };

    /// <summary>Bytes per vector of <paramref name="path"/> (1 for scalar).</summary>
    public static int Width(GaloisKernelPath path) => path switch
    {
        GaloisKernelPath.Scalar => 1,
        GaloisKernelPath.Vector128 or GaloisKernelPath.Gfni128 => 16,
        GaloisKernelPath.Vector256 or GaloisKernelPath.Gfni256 => 32,
        _ => 64,
    };

    /// <summary><c>destination ^= coefficient * source</c> on the best path.</summary>
    public static void MulAdd(byte coefficient, ReadOnlySpan<byte> source, Span<byte> destination) =>
        MulAdd(BestPath, coefficient, source, destination);

    /// <summary><c>destination ^= coefficient * source</c> on a forced path (narrowed for short spans).</summary>
    public static void MulAdd(GaloisKernelPath path, byte coefficient, ReadOnlySpan<byte> source, Span<byte> destination) =>
        Multiply(path, coefficient, source, destination, accumulate: true);

    /// <summary>
    /// <c>destination = coefficient * source</c> on a forced path. Source and destination may be the same span
    /// (scaling in place); otherwise they must not overlap.
    /// </summary>
    public static void Multiply(GaloisKernelPath path, byte coefficient, ReadOnlySpan<byte> source, Span<byte> destination) =>
        Multiply(path, coefficient, source, destination, accumulate: false);

    private static void Multiply(
        GaloisKernelPath path, byte coefficient, ReadOnlySpan<byte> source, Span<byte> destination, bool accumulate)
    {
        if (source.Length != destination.Length)
        {
            FecThrowHelper.ThrowArgument(nameof(destination), "Source and destination must have the same length.");
        }

        EnsureSupported(path);
        if (source.Length == 0 || (accumulate && coefficient == 0))
        {
            return;
        }

        nint length = source.Length;
        uint replicated = coefficient * 0x01010101u;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            switch (Narrow(path, length))
            {
                case GaloisKernelPath.Vector128:
                    MultiplyVector<ShuffleOps128, Vector128<byte>>(replicated, src, dst, length, accumulate);
                    break;
                case GaloisKernelPath.Vector256:
                    MultiplyVector<ShuffleOps256, Vector256<byte>>(replicated, src, dst, length, accumulate);
                    break;
                case GaloisKernelPath.Vector512:
                    MultiplyVector<ShuffleOps512, Vector512<byte>>(replicated, src, dst, length, accumulate);
                    break;
                case GaloisKernelPath.Gfni128:
                    MultiplyVector<GfniOps128, Vector128<byte>>(replicated, src, dst, length, accumulate);
                    break;
                case GaloisKernelPath.Gfni256:
                    MultiplyVector<GfniOps256, Vector256<byte>>(replicated, src, dst, length, accumulate);
                    break;
                case GaloisKernelPath.Gfni512:
                    MultiplyVector<GfniOps512, Vector512<byte>>(replicated, src, dst, length, accumulate);
                    break;
                default:
                    MultiplyScalar(coefficient, src, dst, length, accumulate);
                    break;
            }
        }
    }

    /// <summary>
    /// For every row r: <c>outputs[r] (^)= sum over c of matrix[r * cols + c] * inputs[c]</c>, on contiguous
    /// symbols: input c is <c>inputs[(c * length)..]</c>, output r is <c>outputs[(r * length)..]</c>.
    /// </summary>
    public static void MultiplyMatrix(
        GaloisKernelPath path,
        ReadOnlySpan<byte> matrix,
        int rows,
        int cols,
        ReadOnlySpan<byte> inputs,
        Span<byte> outputs,
        int length,
        bool accumulate)
    {
        ValidateShape(matrix, rows, cols, length);
        if ((long)cols * length > inputs.Length)
        {
            FecThrowHelper.ThrowArgument(nameof(inputs), "Inputs must hold cols * length bytes.");
        }

        if ((long)rows * length > outputs.Length)
        {
            FecThrowHelper.ThrowArgument(nameof(outputs), "Outputs must hold rows * length bytes.");
        }

        nint* inputPointers = stackalloc nint[MaxDimension];
        nint* outputPointers = stackalloc nint[MaxDimension];
        fixed (byte* input = inputs)
        fixed (byte* output = outputs)
        {
            for (int c = 0; c < cols; c++)
            {
                inputPointers[c] = (nint)(input + ((nint)c * length));
            }

            for (int r = 0; r < rows; r++)
            {
                outputPointers[r] = (nint)(output + ((nint)r * length));
            }

            MultiplyMatrixCore(path, matrix, rows, cols, inputPointers, outputPointers, length, accumulate);
        }
    }

    /// <summary>
    /// For every row r: <c>outputs[r] (^)= sum over c of matrix[r * cols + c] * inputs[c]</c>, where each pointer
    /// addresses <paramref name="length"/> bytes. The caller keeps the memory pinned; outputs must not overlap inputs.
    /// </summary>
    public static void MultiplyMatrix(
        GaloisKernelPath path,
        ReadOnlySpan<byte> matrix,
        int rows,
        int cols,
        ReadOnlySpan<nint> inputs,
        ReadOnlySpan<nint> outputs,
        int length,
        bool accumulate)
    {
        ValidateShape(matrix, rows, cols, length);
        if (inputs.Length < cols)
        {
            FecThrowHelper.ThrowArgument(nameof(inputs), "One input pointer is needed per column.");
        }

        if (outputs.Length < rows)
        {
            FecThrowHelper.ThrowArgument(nameof(outputs), "One output pointer is needed per row.");
        }

        fixed (nint* inputPointers = inputs)
        fixed (nint* outputPointers = outputs)
        {
            MultiplyMatrixCore(path, matrix, rows, cols, inputPointers, outputPointers, length, accumulate);
        }
    }

    private static void MultiplyMatrixCore(
        GaloisKernelPath path,
        ReadOnlySpan<byte> matrix,
        int rows,
        int cols,
        nint* inputs,
        nint* outputs,
        nint length,
        bool accumulate)
    {
        EnsureSupported(path);
        if (rows == 0 || length == 0)
        {
            return;
        }

        switch (Narrow(path, length))
        {
            case GaloisKernelPath.Vector128:
                MultiplyMatrixVector<ShuffleOps128, Vector128<byte>>(matrix, rows, cols, inputs, outputs, length, accumulate);
                break;
            case GaloisKernelPath.Vector256:
                MultiplyMatrixVector<ShuffleOps256, Vector256<byte>>(matrix, rows, cols, inputs, outputs, length, accumulate);
                break;
            case GaloisKernelPath.Vector512:
                MultiplyMatrixVector<ShuffleOps512, Vector512<byte>>(matrix, rows, cols, inputs, outputs, length, accumulate);
                break;
            case GaloisKernelPath.Gfni128:
                MultiplyMatrixVector<GfniOps128, Vector128<byte>>(matrix, rows, cols, inputs, outputs, length, accumulate);
                break;
            case GaloisKernelPath.Gfni256:
                MultiplyMatrixVector<GfniOps256, Vector256<byte>>(matrix, rows, cols, inputs, outputs, length, accumulate);
                break;
            case GaloisKernelPath.Gfni512:
                MultiplyMatrixVector<GfniOps512, Vector512<byte>>(matrix, rows, cols, inputs, outputs, length, accumulate);
                break;
            default:
                MultiplyMatrixScalar(matrix, rows, cols, inputs, outputs, length, accumulate);
                break;
        }
    }

    private static void MultiplyMatrixScalar(
        ReadOnlySpan<byte> matrix,
        int rows,
        int cols,
        nint* inputs,
        nint* outputs,
        nint length,
        bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            byte* output = (byte*)outputs[r];
            if (cols == 0 && !accumulate)
            {
                new Span<byte>(output, (int)length).Clear();
            }

            for (int c = 0; c < cols; c++)
            {
                byte coefficient = matrix[(r * cols) + c];
                bool first = c == 0 && !accumulate;
                if (coefficient != 0 || first)
                {
                    MultiplyScalar(coefficient, (byte*)inputs[c], output, length, accumulate: !first);
                }
            }
        }
    }

    private static void MultiplyMatrixVector<TOps, TVector>(
        ReadOnlySpan<byte> matrix,
        int rows,
        int cols,
        nint* inputs,
        nint* outputs,
        nint length,
        bool accumulate)
        where TOps : struct, IGaloisVectorOps<TVector>
        where TVector : struct
    {
        int count = rows * cols;
        uint[]? rented = null;
        Span<uint> coefficients = count <= StackCoefficientLimit
            ? stackalloc uint[StackCoefficientLimit]
            : (rented = ArrayPool<uint>.Shared.Rent(count));

        // Re-lay the matrix group by group, column-major inside a group, so the inner loop reads the coefficients
        // of one input for all rows of the group from consecutive words, each already replicated for a broadcast.
        for (int first = 0; first < rows; first += MaxGroupRows)
        {
            int groupRows = Math.Min(MaxGroupRows, rows - first);
            Span<uint> block = coefficients.Slice(first * cols, groupRows * cols);
            for (int c = 0; c < cols; c++)
            {
                for (int r = 0; r < groupRows; r++)
                {
                    block[(c * groupRows) + r] = matrix[((first + r) * cols) + c] * 0x01010101u;
                }
            }
        }

        nint width = TOps.Width;
        nint full = length - (length % width);
        nint chunk = Math.Max(width, L1ChunkBudget / Math.Max(cols, 1) / width * width);
        fixed (uint* coefficientBase = coefficients)
        {
            for (nint start = 0; start < full; start += chunk)
            {
                nint end = Math.Min(start + chunk, full);
                for (int first = 0; first < rows; first += MaxGroupRows)
                {
                    int groupRows = Math.Min(MaxGroupRows, rows - first);
                    ComputeGroup<TOps, TVector>(
                        groupRows, coefficientBase + (first * cols), cols, inputs, outputs + first, start, end, accumulate, null);
                }
            }

            if (full != length)
            {
                // The last, partial vector: compute the window that ends at `length` and merge only its bytes
                // past `full` (the rest of the window was already written by the main loop).
                byte* mask = TailMask(width, length - full);
                for (int first = 0; first < rows; first += MaxGroupRows)
                {
                    int groupRows = Math.Min(MaxGroupRows, rows - first);
                    ComputeGroup<TOps, TVector>(
                        groupRows, coefficientBase + (first * cols), cols, inputs, outputs + first, length - width, length, accumulate, mask);
                }
            }
        }

        if (rented is not null)
        {
            ArrayPool<uint>.Shared.Return(rented);
        }
    }

    private static void ComputeGroup<TOps, TVector>(
        int groupRows, uint* coefficients, int cols, nint* inputs, nint* outputs, nint start, nint end, bool accumulate, byte* mask)
        where TOps : struct, IGaloisVectorOps<TVector>
        where TVector : struct
    {
        switch (groupRows)
        {
            case 1:
                ComputeGroup<TOps, TVector, Rows1>(coefficients, cols, inputs, outputs, start, end, accumulate, mask);
                break;
            case 2:
                ComputeGroup<TOps, TVector, Rows2>(coefficients, cols, inputs, outputs, start, end, accumulate, mask);
                break;
            case 3:
                ComputeGroup<TOps, TVector, Rows3>(coefficients, cols, inputs, outputs, start, end, accumulate, mask);
                break;
            case 4:
                ComputeGroup<TOps, TVector, Rows4>(coefficients, cols, inputs, outputs, start, end, accumulate, mask);
                break;
            case 5:
                ComputeGroup<TOps, TVector, Rows5>(coefficients, cols, inputs, outputs, start, end, accumulate, mask);
                break;
            case 6:
                ComputeGroup<TOps, TVector, Rows6>(coefficients, cols, inputs, outputs, start, end, accumulate, mask);
                break;
            case 7:
                ComputeGroup<TOps, TVector, Rows7>(coefficients, cols, inputs, outputs, start, end, accumulate, mask);
                break;
            default:
                ComputeGroup<TOps, TVector, Rows8>(coefficients, cols, inputs, outputs, start, end, accumulate, mask);
                break;
        }
    }

    // The hot loop. TRows is a compile-time row count: the JIT specialises this method per struct and removes
    // the accumulators (and their multiplies) beyond TRows.Count.
    private static void ComputeGroup<TOps, TVector, TRows>(
        uint* coefficients, int cols, nint* inputs, nint* outputs, nint start, nint end, bool accumulate, byte* mask)
        where TOps : struct, IGaloisVectorOps<TVector>
        where TVector : struct
        where TRows : struct, IRowCount
    {
        int n = TRows.Count;
        for (nint offset = start; offset < end; offset += TOps.Width)
        {
            TVector a0 = default, a1 = default, a2 = default, a3 = default;
            TVector a4 = default, a5 = default, a6 = default, a7 = default;
            uint* k = coefficients;
            for (int c = 0; c < cols; c++, k += n)
            {
                TVector value = TOps.Load((byte*)inputs[c] + offset);
                TVector low = TOps.Low(value);
                TVector high = TOps.High(value);
                a0 = TOps.Xor(a0, TOps.Multiply(low, high, k[0]));
                if (n > 1)
                {
                    a1 = TOps.Xor(a1, TOps.Multiply(low, high, k[1]));
                }

                if (n > 2)
                {
                    a2 = TOps.Xor(a2, TOps.Multiply(low, high, k[2]));
                }

                if (n > 3)
                {
                    a3 = TOps.Xor(a3, TOps.Multiply(low, high, k[3]));
                }

                if (n > 4)
                {
                    a4 = TOps.Xor(a4, TOps.Multiply(low, high, k[4]));
                }

                if (n > 5)
                {
                    a5 = TOps.Xor(a5, TOps.Multiply(low, high, k[5]));
                }

                if (n > 6)
                {
                    a6 = TOps.Xor(a6, TOps.Multiply(low, high, k[6]));
                }

                if (n > 7)
                {
                    a7 = TOps.Xor(a7, TOps.Multiply(low, high, k[7]));
                }
            }

            StoreRow<TOps, TVector>(outputs[0] + offset, a0, accumulate, mask);
            if (n > 1)
            {
                StoreRow<TOps, TVector>(outputs[1] + offset, a1, accumulate, mask);
            }

            if (n > 2)
            {
                StoreRow<TOps, TVector>(outputs[2] + offset, a2, accumulate, mask);
            }

            if (n > 3)
            {
                StoreRow<TOps, TVector>(outputs[3] + offset, a3, accumulate, mask);
            }

            if (n > 4)
            {
                StoreRow<TOps, TVector>(outputs[4] + offset, a4, accumulate, mask);
            }

            if (n > 5)
            {
                StoreRow<TOps, TVector>(outputs[5] + offset, a5, accumulate, mask);
            }

            if (n > 6)
            {
                StoreRow<TOps, TVector>(outputs[6] + offset, a6, accumulate, mask);
            }

            if (n > 7)
            {
                StoreRow<TOps, TVector>(outputs[7] + offset, a7, accumulate, mask);
            }
        }
    }

    // Writes (or xors in) one output vector. With a mask (the overlapping tail window) only the bytes where the
    // mask is 0xFF change; the others keep what the main loop already stored there.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TOps, TVector>(nint address, TVector value, bool accumulate, byte* mask)
        where TOps : struct, IGaloisVectorOps<TVector>
        where TVector : struct
    {
        byte* destination = (byte*)address;
        if (mask != null)
        {
            TVector select = TOps.Load(mask);
            TVector existing = TOps.Load(destination);
            value = accumulate ? TOps.Xor(existing, TOps.And(value, select)) : TOps.Select(select, value, existing);
        }
        else if (accumulate)
        {
            value = TOps.Xor(value, TOps.Load(destination));
        }

        TOps.Store(destination, value);
    }

    /// <summary>A <paramref name="width"/>-byte mask whose last <paramref name="count"/> bytes are 0xFF.</summary>
    private static byte* TailMask(nint width, nint count) => s_tailMasks + MaxWidth - width + count;

    // In place (source == destination) is safe: each window is read before it is written, and the overlapping
    // tail window only changes its last bytes, which the main loop has not written.
    private static void MultiplyVector<TOps, TVector>(
        uint coefficient, byte* source, byte* destination, nint length, bool accumulate)
        where TOps : struct, IGaloisVectorOps<TVector>
        where TVector : struct
    {
        nint width = TOps.Width;
        nint i = 0;
        for (; i <= length - width; i += width)
        {
            TVector value = TOps.Load(source + i);
            TVector product = TOps.Multiply(TOps.Low(value), TOps.High(value), coefficient);
            StoreRow<TOps, TVector>((nint)(destination + i), product, accumulate, null);
        }

        if (i != length)
        {
            TVector value = TOps.Load(source + length - width);
            TVector product = TOps.Multiply(TOps.Low(value), TOps.High(value), coefficient);
            StoreRow<TOps, TVector>((nint)(destination + length - width), product, accumulate, TailMask(width, length - i));
        }
    }

    /// <summary><c>destination (^)= coefficient * source</c> through one row of the multiplication table.</summary>
    private static void MultiplyScalar(byte coefficient, byte* source, byte* destination, nint length, bool accumulate)
    {
        ref byte row = ref GaloisField.MultiplicationRowReference(coefficient);
        nint i = 0;

        // Eight lookups assembled into one word: one load and one store per eight bytes instead of eight each.
        for (; i <= length - 8; i += 8)
        {
            ulong x = Unsafe.ReadUnaligned<ulong>(source + i);
            ulong product =
                Unsafe.Add(ref row, (nint)(byte)x)
                | ((ulong)Unsafe.Add(ref row, (nint)(byte)(x >> 8)) << 8)
                | ((ulong)Unsafe.Add(ref row, (nint)(byte)(x >> 16)) << 16)
                | ((ulong)Unsafe.Add(ref row, (nint)(byte)(x >> 24)) << 24)
                | ((ulong)Unsafe.Add(ref row, (nint)(byte)(x >> 32)) << 32)
                | ((ulong)Unsafe.Add(ref row, (nint)(byte)(x >> 40)) << 40)
                | ((ulong)Unsafe.Add(ref row, (nint)(byte)(x >> 48)) << 48)
                | ((ulong)Unsafe.Add(ref row, (nint)(byte)(x >> 56)) << 56);
            if (accumulate)
            {
                product ^= Unsafe.ReadUnaligned<ulong>(destination + i);
            }

            Unsafe.WriteUnaligned(destination + i, product);
        }

        for (; i < length; i++)
        {
            byte product = Unsafe.Add(ref row, (nint)source[i]);
            destination[i] = accumulate ? (byte)(destination[i] ^ product) : product;
        }
    }

    private static void ValidateShape(ReadOnlySpan<byte> matrix, int rows, int cols, int length)
    {
        if ((uint)rows > MaxDimension)
        {
            FecThrowHelper.ThrowArgumentOutOfRange(nameof(rows), rows, "Rows must be in 0..255.");
        }

        if ((uint)cols > MaxDimension)
        {
            FecThrowHelper.ThrowArgumentOutOfRange(nameof(cols), cols, "Cols must be in 0..255.");
        }

        if (length < 0)
        {
            FecThrowHelper.ThrowArgumentOutOfRange(nameof(length), length, "Length must not be negative.");
        }

        if (matrix.Length < rows * cols)
        {
            FecThrowHelper.ThrowArgument(nameof(matrix), "The matrix must hold rows * cols coefficients.");
        }
    }

    private static void EnsureSupported(GaloisKernelPath path)
    {
        if (!IsSupported(path))
        {
            FecThrowHelper.ThrowPathNotSupported(path);
        }
    }

    // A path whose vectors are wider than the data falls back to the next narrower one of its family.
    private static GaloisKernelPath Narrow(GaloisKernelPath path, nint length)
    {
        while (path != GaloisKernelPath.Scalar && Width(path) > length)
        {
            path = path switch
            {
                GaloisKernelPath.Vector512 => GaloisKernelPath.Vector256,
                GaloisKernelPath.Vector256 => GaloisKernelPath.Vector128,
                GaloisKernelPath.Gfni512 => GaloisKernelPath.Gfni256,
                GaloisKernelPath.Gfni256 => GaloisKernelPath.Gfni128,
                _ => GaloisKernelPath.Scalar,
            };
        }

        return path;
    }

    private static byte[] CreateTailMasks()
    {
        byte[] masks = GC.AllocateArray<byte>(2 * MaxWidth, pinned: true);
        masks.AsSpan(MaxWidth).Fill(0xFF);
        return masks;
    }

    private static GaloisKernelPath SelectBestPath()
    {
        // Vector512.IsHardwareAccelerated is false on CPUs where the runtime judges 512-bit code to throttle.
        if (Gfni.V512.IsSupported && Vector512.IsHardwareAccelerated)
        {
            return GaloisKernelPath.Gfni512;
        }

        if (Gfni.V256.IsSupported)
        {
            return GaloisKernelPath.Gfni256;
        }

        if (Avx512BW.IsSupported && Vector512.IsHardwareAccelerated)
        {
            return GaloisKernelPath.Vector512;
        }

        if (Avx2.IsSupported)
        {
            return GaloisKernelPath.Vector256;
        }

        if (Gfni.IsSupported)
        {
            return GaloisKernelPath.Gfni128;
        }

        return IsSupported(GaloisKernelPath.Vector128) ? GaloisKernelPath.Vector128 : GaloisKernelPath.Scalar;
    }
}

/// <summary>A row count known at compile time, so <see cref="GaloisKernels"/> gets one loop body per group size.</summary>
internal interface IRowCount
{
    static abstract int Count { get; }
}

internal readonly struct Rows1 : IRowCount
{
    public static int Count => 1;
}

internal readonly struct Rows2 : IRowCount
{
    public static int Count => 2;
}

internal readonly struct Rows3 : IRowCount
{
    public static int Count => 3;
}

internal readonly struct Rows4 : IRowCount
{
    public static int Count => 4;
}

internal readonly struct Rows5 : IRowCount
{
    public static int Count => 5;
}

internal readonly struct Rows6 : IRowCount
{
    public static int Count => 6;
}

internal readonly struct Rows7 : IRowCount
{
    public static int Count => 7;
}

internal readonly struct Rows8 : IRowCount
{
    public static int Count => 8;
}
