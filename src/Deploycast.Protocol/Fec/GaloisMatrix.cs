using System.Buffers;
using System.Runtime.CompilerServices;

namespace Deploycast.Protocol.Fec;

/// <summary>Dense row-major matrix operations over GF(256) for building decoding matrices.</summary>
[SkipLocalsInit]
internal static unsafe class GaloisMatrix
{
    /// <summary>
    /// Gauss-Jordan elimination on the <paramref name="rows"/> x <paramref name="width"/> row-major
    /// <paramref name="matrix"/> = [A | B], where A is its left <paramref name="rows"/> x <paramref name="rows"/>
    /// block. On success the matrix is [I | A^-1 * B]. Returns false if A is singular (the matrix is then
    /// partly reduced and should be discarded).
    /// </summary>
    /// <remarks>
    /// Eliminating one column from every other row is a single call of the matrix kernel (the pivot row is the
    /// one input, the other rows are accumulated outputs), so the O(rows^2 * width) work runs vectorised.
    /// </remarks>
    public static bool TryEliminate(GaloisKernelPath path, Span<byte> matrix, int rows, int width)
    {
        if (rows < 0 || rows > GaloisKernels.MaxDimension || width < rows || matrix.Length < rows * width)
        {
            FecThrowHelper.ThrowArgument(nameof(matrix), "The matrix must hold rows * width elements with rows <= width.");
        }

        Span<byte> factors = stackalloc byte[GaloisKernels.MaxDimension];
        Span<nint> pivotPointer = stackalloc nint[1];
        Span<nint> targets = stackalloc nint[GaloisKernels.MaxDimension];
        fixed (byte* origin = matrix)
        {
            for (int col = 0; col < rows; col++)
            {
                int pivot = col;
                while (pivot < rows && matrix[(pivot * width) + col] == 0)
                {
                    pivot++;
                }

                if (pivot == rows)
                {
                    return false;
                }

                if (pivot != col)
                {
                    Span<byte> a = matrix.Slice((pivot * width) + col, width - col);
                    Span<byte> b = matrix.Slice((col * width) + col, width - col);
                    for (int i = 0; i < a.Length; i++)
                    {
                        (a[i], b[i]) = (b[i], a[i]);
                    }
                }

                // Columns left of `col` are zero in the pivot row, so the row operations start at `col`.
                Span<byte> pivotRow = matrix.Slice((col * width) + col, width - col);
                byte scale = GaloisField.Inverse(pivotRow[0]);
                if (scale != 1)
                {
                    GaloisKernels.Multiply(path, scale, pivotRow, pivotRow);
                }

                int count = 0;
                for (int r = 0; r < rows; r++)
                {
                    byte factor = matrix[(r * width) + col];
                    if (r != col && factor != 0)
                    {
                        factors[count] = factor;
                        targets[count] = (nint)(origin + (r * width) + col);
                        count++;
                    }
                }

                pivotPointer[0] = (nint)(origin + (col * width) + col);
                GaloisKernels.MultiplyMatrix(path, factors, count, 1, pivotPointer, targets, width - col, accumulate: true);
            }
        }

        return true;
    }

    /// <summary>
    /// Inverts the <paramref name="n"/> x <paramref name="n"/> row-major <paramref name="matrix"/> in place.
    /// Returns false, leaving <paramref name="matrix"/> unchanged, if it is singular.
    /// </summary>
    public static bool TryInvert(GaloisKernelPath path, Span<byte> matrix, int n)
    {
        if (n < 0 || n > GaloisKernels.MaxDimension || matrix.Length < n * n)
        {
            FecThrowHelper.ThrowArgument(nameof(matrix), "The matrix must hold n * n elements.");
        }

        int width = 2 * n;
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(1, n * width));
        try
        {
            Span<byte> work = rented.AsSpan(0, n * width);
            work.Clear();
            for (int r = 0; r < n; r++)
            {
                matrix.Slice(r * n, n).CopyTo(work.Slice(r * width));
                work[(r * width) + n + r] = 1;
            }

            if (!TryEliminate(path, work, n, width))
            {
                return false;
            }

            for (int r = 0; r < n; r++)
            {
                work.Slice((r * width) + n, n).CopyTo(matrix.Slice(r * n, n));
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
