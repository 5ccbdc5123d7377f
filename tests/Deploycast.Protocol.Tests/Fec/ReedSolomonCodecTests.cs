using System.Numerics;
using Deploycast.Protocol.Fec;

namespace Deploycast.Protocol.Tests.Fec;

public sealed class ReedSolomonCodecTests
{
    public static TheoryData<string> SupportedPaths() => FecTestData.SupportedPathNames();

    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    [InlineData(-1)]
    [InlineData(256)]
    public void Constructor_WithSourceCountOutside1To254_ThrowsNamingSourceCount(int sourceCount)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomonCodec(sourceCount));
        Assert.Equal("sourceCount", exception.ParamName);
    }

    [Theory]
    [InlineData(1, 254)]
    [InlineData(128, 127)]
    [InlineData(254, 1)]
    public void Constructor_ReportsSourceAndMaxParityCounts(int sourceCount, int maxParityCount)
    {
        var codec = new ReedSolomonCodec(sourceCount);

        Assert.Equal(sourceCount, codec.SourceCount);
        Assert.Equal(maxParityCount, codec.MaxParityCount);
        Assert.Equal(ReedSolomonCodec.MaxSymbols, codec.SourceCount + codec.MaxParityCount);
    }

    [Fact]
    public void EncodeParity_MatchesCauchyDefinition()
    {
        const int k = 6, symbolSize = 19;
        var codec = new ReedSolomonCodec(k);
        byte[] sources = FecTestData.RandomBytes(new Random(20), k * symbolSize);
        foreach (int parityIndex in new[] { 0, 1, 100, codec.MaxParityCount - 1 })
        {
            byte[] parity = new byte[symbolSize];

            codec.EncodeParity(sources, symbolSize, parityIndex, parity);

            for (int b = 0; b < symbolSize; b++)
            {
                byte expected = 0;
                for (int j = 0; j < k; j++)
                {
                    // c[i][j] = 1 / (x_i + y_j), x_i = k + i, y_j = j; the inverse found by search, not by table.
                    byte denominator = (byte)((k + parityIndex) ^ j);
                    byte coefficient = (byte)Enumerable.Range(1, 255)
                        .First(y => FecTestData.ReferenceMultiply(denominator, (byte)y) == 1);
                    expected ^= FecTestData.ReferenceMultiply(coefficient, sources[(j * symbolSize) + b]);
                }

                Assert.Equal(expected, parity[b]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void EncodeParity_Batch_EqualsOneAtATimeOnScalar(string pathName)
    {
        GaloisKernelPath path = FecTestData.Path(pathName);
        const int k = 128, symbolSize = 1456;
        var codec = new ReedSolomonCodec(k, path);
        var scalar = new ReedSolomonCodec(k, GaloisKernelPath.Scalar);
        byte[] sources = FecTestData.RandomBytes(new Random(21), k * symbolSize);
        int[] indices = [5, 0, 126, 13, 64, 1, 2, 3, 4, 6, 7, 8, 9];
        byte[] batch = new byte[indices.Length * symbolSize];

        codec.EncodeParity(sources, symbolSize, indices, batch);

        for (int i = 0; i < indices.Length; i++)
        {
            byte[] single = new byte[symbolSize];
            scalar.EncodeParity(sources, symbolSize, indices[i], single);
            Assert.True(single.AsSpan().SequenceEqual(batch.AsSpan(i * symbolSize, symbolSize)), $"{path}, parity {indices[i]}");
        }
    }

    public static TheoryData<int, int[]> SmallCodes()
    {
        var data = new TheoryData<int, int[]>();
        for (int k = 4; k <= 8; k++)
        {
            data.Add(k, [0, 1, 2, 3]);
        }

        // Parity indices from across the whole range, not just the first ones, listed out of order.
        data.Add(5, [249, 7, 200, 100]);
        data.Add(8, [246, 0, 123, 17]);
        data.Add(4, [250, 9]);
        return data;
    }

    [Theory]
    [MemberData(nameof(SmallCodes))]
    public void TryDecode_SmallCode_RecoversEveryErasurePatternUpToParityCountOnEveryPath(int k, int[] parityIndices)
    {
        const int symbolSize = 70; // one 64-byte vector plus a tail
        int p = parityIndices.Length;
        int n = k + p;
        var random = new Random(30 + k);
        byte[] original = FecTestData.RandomBytes(random, k * symbolSize);
        byte[] allParities = new byte[p * symbolSize];
        new ReedSolomonCodec(k, GaloisKernelPath.Scalar).EncodeParity(original, symbolSize, parityIndices, allParities);

        foreach (GaloisKernelPath path in FecTestData.SupportedPaths())
        {
            var codec = new ReedSolomonCodec(k, path);
            int patterns = 0;
            for (int lost = 0; lost < 1 << n; lost++)
            {
                if (BitOperations.PopCount((uint)lost) > p)
                {
                    continue;
                }

                byte[] sources = (byte[])original.Clone();
                bool[] present = new bool[k];
                for (int i = 0; i < k; i++)
                {
                    present[i] = (lost & (1 << i)) == 0;
                    if (!present[i])
                    {
                        random.NextBytes(sources.AsSpan(i * symbolSize, symbolSize));
                    }
                }

                var receivedIndices = new List<int>();
                var receivedParities = new List<byte>();
                for (int j = 0; j < p; j++)
                {
                    if ((lost & (1 << (k + j))) == 0)
                    {
                        receivedIndices.Add(parityIndices[j]);
                        receivedParities.AddRange(allParities.AsSpan(j * symbolSize, symbolSize).ToArray());
                    }
                }

                bool decoded = codec.TryDecode(sources, symbolSize, present, receivedParities.ToArray(), receivedIndices.ToArray());

                Assert.True(decoded, $"{path}: k={k}, lost mask {lost:X}");
                Assert.True(original.AsSpan().SequenceEqual(sources), $"{path}: k={k}, lost mask {lost:X}");
                patterns++;
            }

            // All subsets of the n symbols with at most p members.
            int expectedPatterns = Enumerable.Range(0, p + 1).Sum(size => Binomial(n, size));
            Assert.Equal(expectedPatterns, patterns);
        }
    }

    [Theory]
    [InlineData(200, 55, 1400, 12)]
    [InlineData(128, 127, 1456, 12)]
    [InlineData(128, 13, 1456, 12)]
    [InlineData(32, 8, 1460, 12)]
    public void TryDecode_LargeCode_RecoversRandomErasurePatterns(int k, int parityCount, int symbolSize, int patterns)
    {
        var random = new Random((k * 1000) + parityCount);
        var codec = new ReedSolomonCodec(k);
        byte[] original = FecTestData.RandomBytes(random, k * symbolSize);
        int[] allIndices = Enumerable.Range(0, parityCount).ToArray();
        byte[] allParities = new byte[parityCount * symbolSize];
        codec.EncodeParity(original, symbolSize, allIndices, allParities);

        for (int pattern = 0; pattern < patterns; pattern++)
        {
            // First pattern loses as many sources as there are parities; the rest a random number.
            int lostCount = pattern == 0 ? parityCount : random.Next(parityCount + 1);
            int[] lost = Shuffled(random, Enumerable.Range(0, k)).Take(lostCount).ToArray();
            int receivedCount = random.Next(lostCount, parityCount + 1);
            int[] received = Shuffled(random, allIndices).Take(receivedCount).ToArray();
            byte[] sources = (byte[])original.Clone();
            bool[] present = Enumerable.Repeat(true, k).ToArray();
            foreach (int i in lost)
            {
                present[i] = false;
                random.NextBytes(sources.AsSpan(i * symbolSize, symbolSize));
            }

            byte[] parities = received.SelectMany(j => allParities.AsSpan(j * symbolSize, symbolSize).ToArray()).ToArray();

            bool decoded = codec.TryDecode(sources, symbolSize, present, parities, received);

            Assert.True(decoded, $"pattern {pattern}: lost {lostCount}, received {receivedCount}");
            Assert.True(original.AsSpan().SequenceEqual(sources), $"pattern {pattern}: lost [{string.Join(',', lost)}], parities [{string.Join(',', received)}]");
        }
    }

    [Theory]
    [MemberData(nameof(SupportedPaths))]
    public void TryDecode_EveryPath_RecoversTenPercentLossOfALargeBlock(string pathName)
    {
        GaloisKernelPath path = FecTestData.Path(pathName);
        const int k = 128, symbolSize = 1456;
        var random = new Random(40);
        var codec = new ReedSolomonCodec(k, path);
        byte[] original = FecTestData.RandomBytes(random, k * symbolSize);
        int[] indices = [12, 3, 40, 7, 0, 99, 126, 1, 55, 8, 30, 31, 2];
        byte[] parities = new byte[indices.Length * symbolSize];
        codec.EncodeParity(original, symbolSize, indices, parities);
        byte[] sources = (byte[])original.Clone();
        bool[] present = Enumerable.Repeat(true, k).ToArray();
        foreach (int i in Shuffled(random, Enumerable.Range(0, k)).Take(indices.Length))
        {
            present[i] = false;
            sources.AsSpan(i * symbolSize, symbolSize).Clear();
        }

        Assert.True(codec.TryDecode(sources, symbolSize, present, parities, indices));
        Assert.True(original.AsSpan().SequenceEqual(sources), path.ToString());
    }

    [Fact]
    public void TryDecode_WithMoreErasuresThanParities_ReturnsFalseAndLeavesSourcesUnchanged()
    {
        const int k = 10, symbolSize = 100;
        var codec = new ReedSolomonCodec(k);
        byte[] original = FecTestData.RandomBytes(new Random(50), k * symbolSize);
        int[] indices = [0, 4, 9];
        byte[] parities = new byte[indices.Length * symbolSize];
        codec.EncodeParity(original, symbolSize, indices, parities);
        byte[] sources = (byte[])original.Clone();
        bool[] present = Enumerable.Repeat(true, k).ToArray();
        present[1] = present[2] = present[5] = present[8] = false;

        bool decoded = codec.TryDecode(sources, symbolSize, present, parities, indices);

        Assert.False(decoded);
        Assert.Equal(original, sources);
    }

    [Fact]
    public void TryDecode_WithNothingMissing_ReturnsTrueWithoutParities()
    {
        const int k = 3, symbolSize = 8;
        var codec = new ReedSolomonCodec(k);
        byte[] original = FecTestData.RandomBytes(new Random(51), k * symbolSize);
        byte[] sources = (byte[])original.Clone();

        Assert.True(codec.TryDecode(sources, symbolSize, [true, true, true], [], []));
        Assert.Equal(original, sources);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(254, 1)]
    [InlineData(1, 254)]
    public void TryDecode_AtTheEdgesOfTheSourceCount_RecoversLostSources(int k, int parityCount)
    {
        const int symbolSize = 33;
        var random = new Random(52);
        var codec = new ReedSolomonCodec(k);
        byte[] original = FecTestData.RandomBytes(random, k * symbolSize);
        int[] indices = Enumerable.Range(0, parityCount).Reverse().ToArray();
        byte[] parities = new byte[parityCount * symbolSize];
        codec.EncodeParity(original, symbolSize, indices, parities);
        byte[] sources = (byte[])original.Clone();
        bool[] present = Enumerable.Repeat(true, k).ToArray();
        present[k - 1] = false;
        sources.AsSpan((k - 1) * symbolSize).Fill(0xEE);

        Assert.True(codec.TryDecode(sources, symbolSize, present, parities, indices));
        Assert.Equal(original, sources);
    }

    [Fact]
    public void TryDecode_WithDuplicateParityIndices_Throws()
    {
        var codec = new ReedSolomonCodec(4);
        bool[] present = [false, true, true, true];

        var exception = Assert.Throws<ArgumentException>(
            () => codec.TryDecode(new byte[16], 4, present, new byte[8], [2, 2]));
        Assert.Equal("parityIndices", exception.ParamName);
    }

    [Fact]
    public void EncodeAndDecode_WithWrongBufferSizesOrIndices_ThrowNamingTheArgument()
    {
        var codec = new ReedSolomonCodec(4);

        Assert.Equal("sources", Assert.Throws<ArgumentException>(() => codec.EncodeParity(new byte[15], 4, 0, new byte[4])).ParamName);
        Assert.Equal("parity", Assert.Throws<ArgumentException>(() => codec.EncodeParity(new byte[16], 4, 0, new byte[5])).ParamName);
        Assert.Equal("parityIndex", Assert.Throws<ArgumentOutOfRangeException>(() => codec.EncodeParity(new byte[16], 4, 251, new byte[4])).ParamName);
        Assert.Equal("symbolSize", Assert.Throws<ArgumentOutOfRangeException>(() => codec.EncodeParity(new byte[0], 0, 0, new byte[0])).ParamName);
        Assert.Equal("parityIndices", Assert.Throws<ArgumentException>(() => codec.EncodeParity(new byte[16], 4, [0, -1], new byte[8])).ParamName);
        Assert.Equal("parities", Assert.Throws<ArgumentException>(() => codec.EncodeParity(new byte[16], 4, [0, 1], new byte[4])).ParamName);
        Assert.Equal("present", Assert.Throws<ArgumentException>(() => codec.TryDecode(new byte[16], 4, [true], new byte[4], [0])).ParamName);
        Assert.Equal("parityIndices", Assert.Throws<ArgumentException>(() => codec.TryDecode(new byte[16], 4, [false, true, true, true], new byte[4], [251])).ParamName);
    }

    [Fact]
    public void SharedCodec_DecodesCorrectlyFromManyThreadsAtOnce()
    {
        const int k = 64, symbolSize = 1400, parityCount = 8;
        var codec = new ReedSolomonCodec(k);
        int[] failures = new int[1];

        Parallel.For(0, 16, worker =>
        {
            var random = new Random(100 + worker);
            byte[] original = FecTestData.RandomBytes(random, k * symbolSize);
            int[] indices = Shuffled(random, Enumerable.Range(0, codec.MaxParityCount)).Take(parityCount).ToArray();
            byte[] parities = new byte[parityCount * symbolSize];
            for (int round = 0; round < 20; round++)
            {
                codec.EncodeParity(original, symbolSize, indices, parities);
                byte[] sources = (byte[])original.Clone();
                bool[] present = Enumerable.Repeat(true, k).ToArray();
                foreach (int i in Shuffled(random, Enumerable.Range(0, k)).Take(parityCount))
                {
                    present[i] = false;
                    sources.AsSpan(i * symbolSize, symbolSize).Clear();
                }

                if (!codec.TryDecode(sources, symbolSize, present, parities, indices) || !original.AsSpan().SequenceEqual(sources))
                {
                    Interlocked.Increment(ref failures[0]);
                }
            }
        });

        Assert.Equal(0, failures[0]);
    }

    private static int[] Shuffled(Random random, IEnumerable<int> values)
    {
        int[] array = values.ToArray();
        random.Shuffle(array);
        return array;
    }

    private static int Binomial(int n, int r)
    {
        long result = 1;
        for (int i = 1; i <= r; i++)
        {
            result = result * (n - r + i) / i;
        }

        return (int)result;
    }
}
