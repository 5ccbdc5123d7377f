using Deploycast.Protocol.Fec;

namespace Deploycast.Protocol.Tests.Fec;

public sealed class GaloisMatrixTests
{
    public static TheoryData<string> SupportedPaths() => FecTestData.SupportedPathNames();

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void TryInvert_RandomInvertibleMatrix_ProductWithOriginalIsIdentity(string pathName)
    {
        GaloisKernelPath path = FecTestData.Path(pathName);
        var random = new Random(60);
        int inverted = 0;
        foreach (int n in new[] { 1, 2, 5, 13, 40, 90 })
        {
            byte[] original = FecTestData.RandomBytes(random, n * n);
            byte[] inverse = (byte[])original.Clone();
            if (!GaloisMatrix.TryInvert(path, inverse, n))
            {
                continue; // about 1 in 250 random matrices is singular
            }

            AssertIdentity(Multiply(original, inverse, n), n);
            inverted++;
        }

        Assert.True(inverted >= 5, $"only {inverted} of 6 random matrices were invertible");
    }

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void TryInvert_MatrixThatNeedsRowSwaps_ProductWithOriginalIsIdentity(string pathName)
    {
        GaloisKernelPath path = FecTestData.Path(pathName);
        // A permuted identity has a zero on every diagonal pivot until rows are swapped.
        const int n = 20;
        byte[] matrix = new byte[n * n];
        for (int r = 0; r < n; r++)
        {
            int c = (r + 7) % n;
            matrix[(r * n) + c] = (byte)(r + 2);
        }

        byte[] inverse = (byte[])matrix.Clone();

        Assert.True(GaloisMatrix.TryInvert(path, inverse, n));
        AssertIdentity(Multiply(matrix, inverse, n), n);
    }

    [Fact]
    public void TryInvert_SingularMatrix_ReturnsFalseAndLeavesItUnchanged()
    {
        // Row 2 = row 0 + row 1.
        byte[] matrix = [1, 2, 3, 4, 5, 6, 5, 7, 5];
        byte[] copy = (byte[])matrix.Clone();

        Assert.False(GaloisMatrix.TryInvert(GaloisKernels.BestPath, matrix, 3));
        Assert.Equal(copy, matrix);
    }

    [Fact]
    public void TryEliminate_LeavesInverseTimesRightHandSide()
    {
        var random = new Random(61);
        const int n = 6, extra = 70;
        byte[] a;
        byte[] inverse;
        do
        {
            a = FecTestData.RandomBytes(random, n * n);
            inverse = (byte[])a.Clone();
        }
        while (!GaloisMatrix.TryInvert(GaloisKernelPath.Scalar, inverse, n));

        byte[] b = FecTestData.RandomBytes(random, n * extra);
        int width = n + extra;
        byte[] augmented = new byte[n * width];
        for (int r = 0; r < n; r++)
        {
            a.AsSpan(r * n, n).CopyTo(augmented.AsSpan(r * width));
            b.AsSpan(r * extra, extra).CopyTo(augmented.AsSpan((r * width) + n));
        }

        Assert.True(GaloisMatrix.TryEliminate(GaloisKernels.BestPath, augmented, n, width));

        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                Assert.Equal(r == c ? 1 : 0, augmented[(r * width) + c]);
            }

            for (int c = 0; c < extra; c++)
            {
                byte expected = 0;
                for (int j = 0; j < n; j++)
                {
                    expected ^= FecTestData.ReferenceMultiply(inverse[(r * n) + j], b[(j * extra) + c]);
                }

                Assert.Equal(expected, augmented[(r * width) + n + c]);
            }
        }
    }

    private static byte[] Multiply(byte[] left, byte[] right, int n)
    {
        byte[] product = new byte[n * n];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                byte sum = 0;
                for (int j = 0; j < n; j++)
                {
                    sum ^= FecTestData.ReferenceMultiply(left[(r * n) + j], right[(j * n) + c]);
                }

                product[(r * n) + c] = sum;
            }
        }

        return product;
    }

    private static void AssertIdentity(byte[] matrix, int n)
    {
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                Assert.Equal(r == c ? 1 : 0, matrix[(r * n) + c]);
            }
        }
    }
}
