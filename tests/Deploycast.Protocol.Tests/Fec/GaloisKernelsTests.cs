using Deploycast.Protocol.Fec;

namespace Deploycast.Protocol.Tests.Fec;

public sealed class GaloisKernelsTests
{
    private static readonly int[] s_lengths = [0, 1, 15, 16, 17, 31, 33, 63, 64, 65, 127, 1400, 1456, 4096 + 7];

    private static readonly byte[] s_coefficients = [0, 1, 2, 3, 0x1B, 0x53, 0x80, 0xCA, 0xFF];

    // (rows, cols): single row, fewer and more rows than one register group (8), encode-sized.
    private static readonly (int Rows, int Cols)[] s_shapes = [(1, 1), (1, 5), (3, 7), (8, 8), (9, 13), (17, 3), (13, 128)];

    public static TheoryData<string> SupportedPaths() => FecTestData.SupportedPathNames();

    [Fact]
    public void MulAdd_Scalar_MatchesFieldDefinition()
    {
        var random = new Random(1);
        foreach (int length in s_lengths)
        {
            foreach (byte c in s_coefficients)
            {
                byte[] source = FecTestData.RandomBytes(random, length);
                byte[] destination = FecTestData.RandomBytes(random, length);
                byte[] expected = new byte[length];
                for (int i = 0; i < length; i++)
                {
                    expected[i] = (byte)(destination[i] ^ FecTestData.ReferenceMultiply(c, source[i]));
                }

                GaloisKernels.MulAdd(GaloisKernelPath.Scalar, c, source, destination);

                Assert.Equal(expected, destination);
            }
        }
    }

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void MulAdd_EveryPath_MatchesScalarByteForByte(string pathName)
    {
        GaloisKernelPath path = FecTestData.Path(pathName);
        var random = new Random(2);
        foreach (int length in s_lengths)
        {
            var coefficients = new List<byte>(s_coefficients) { (byte)random.Next(256), (byte)random.Next(256) };
            foreach (byte c in coefficients)
            {
                // Offset by 3 so vector loads and stores are unaligned, and guard bytes catch overruns.
                byte[] source = FecTestData.RandomBytes(random, length + 6);
                byte[] destination = FecTestData.RandomBytes(random, length + 6);
                byte[] expected = (byte[])destination.Clone();
                GaloisKernels.MulAdd(GaloisKernelPath.Scalar, c, source.AsSpan(3, length), expected.AsSpan(3, length));

                GaloisKernels.MulAdd(path, c, source.AsSpan(3, length), destination.AsSpan(3, length));

                Assert.True(expected.AsSpan().SequenceEqual(destination), $"{path}, length {length}, coefficient {c}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void Multiply_EveryPath_MatchesFieldDefinitionAlsoInPlace(string pathName)
    {
        GaloisKernelPath path = FecTestData.Path(pathName);
        var random = new Random(7);
        foreach (int length in s_lengths)
        {
            foreach (byte c in s_coefficients)
            {
                byte[] source = FecTestData.RandomBytes(random, length);
                byte[] expected = source.Select(x => FecTestData.ReferenceMultiply(c, x)).ToArray();
                byte[] destination = FecTestData.RandomBytes(random, length);
                byte[] inPlace = (byte[])source.Clone();

                GaloisKernels.Multiply(path, c, source, destination);
                GaloisKernels.Multiply(path, c, inPlace, inPlace);

                Assert.True(expected.AsSpan().SequenceEqual(destination), $"{path}, length {length}, coefficient {c}");
                Assert.True(expected.AsSpan().SequenceEqual(inPlace), $"{path} in place, length {length}, coefficient {c}");
            }
        }
    }

    [Fact]
    public void MultiplyMatrix_Scalar_MatchesFieldDefinition()
    {
        var random = new Random(3);
        const int rows = 5, cols = 6, length = 37;
        byte[] matrix = FecTestData.RandomBytes(random, rows * cols);
        byte[] inputs = FecTestData.RandomBytes(random, cols * length);
        byte[] outputs = FecTestData.RandomBytes(random, rows * length);
        byte[] expected = new byte[rows * length];
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < length; i++)
            {
                byte sum = 0;
                for (int c = 0; c < cols; c++)
                {
                    sum ^= FecTestData.ReferenceMultiply(matrix[(r * cols) + c], inputs[(c * length) + i]);
                }

                expected[(r * length) + i] = sum;
            }
        }

        GaloisKernels.MultiplyMatrix(GaloisKernelPath.Scalar, matrix, rows, cols, inputs, outputs, length, accumulate: false);

        Assert.Equal(expected, outputs);
    }

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void MultiplyMatrix_EveryPath_MatchesScalarByteForByte(string pathName)
    {
        GaloisKernelPath path = FecTestData.Path(pathName);
        var random = new Random(4);
        foreach ((int rows, int cols) in s_shapes)
        {
            foreach (int length in s_lengths)
            {
                foreach (bool accumulate in new[] { false, true })
                {
                    byte[] matrix = FecTestData.RandomBytes(random, rows * cols);
                    matrix[0] = 0; // a zero coefficient must still overwrite when not accumulating
                    byte[] inputs = FecTestData.RandomBytes(random, cols * length);
                    byte[] outputs = FecTestData.RandomBytes(random, rows * length);
                    byte[] expected = (byte[])outputs.Clone();
                    GaloisKernels.MultiplyMatrix(GaloisKernelPath.Scalar, matrix, rows, cols, inputs, expected, length, accumulate);

                    GaloisKernels.MultiplyMatrix(path, matrix, rows, cols, inputs, outputs, length, accumulate);

                    Assert.True(
                        expected.AsSpan().SequenceEqual(outputs),
                        $"{path}, {rows}x{cols}, length {length}, accumulate {accumulate}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void MultiplyMatrix_Accumulate_AddsToWhatOutputsHeld(string pathName)
    {
        GaloisKernelPath path = FecTestData.Path(pathName);
        var random = new Random(5);
        const int rows = 4, cols = 9, length = 1456;
        byte[] matrix = FecTestData.RandomBytes(random, rows * cols);
        byte[] inputs = FecTestData.RandomBytes(random, cols * length);
        byte[] initial = FecTestData.RandomBytes(random, rows * length);
        byte[] product = new byte[rows * length];
        GaloisKernels.MultiplyMatrix(path, matrix, rows, cols, inputs, product, length, accumulate: false);
        byte[] accumulated = (byte[])initial.Clone();

        GaloisKernels.MultiplyMatrix(path, matrix, rows, cols, inputs, accumulated, length, accumulate: true);

        for (int i = 0; i < accumulated.Length; i++)
        {
            Assert.Equal((byte)(initial[i] ^ product[i]), accumulated[i]);
        }
    }

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void MultiplyMatrix_WithNoColumns_ClearsOutputsUnlessAccumulating(string pathName)
    {
        GaloisKernelPath path = FecTestData.Path(pathName);
        const int length = 100;
        byte[] outputs = FecTestData.RandomBytes(new Random(6), 2 * length);
        byte[] initial = (byte[])outputs.Clone();

        GaloisKernels.MultiplyMatrix(path, [], 2, 0, [], outputs, length, accumulate: true);
        Assert.Equal(initial, outputs);

        GaloisKernels.MultiplyMatrix(path, [], 2, 0, [], outputs, length, accumulate: false);
        Assert.Equal(new byte[2 * length], outputs);
    }

    [Fact]
    public void MulAdd_WithDifferentLengths_Throws()
    {
        Assert.Throws<ArgumentException>(() => GaloisKernels.MulAdd(3, new byte[4], new byte[5]));
    }

    [Fact]
    public void BestPath_IsSupported()
    {
        Assert.True(GaloisKernels.IsSupported(GaloisKernels.BestPath));
    }
}
