using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Deploycast.Protocol.Fec;

namespace Deploycast.Benchmarks;

/// <summary>
/// Reed-Solomon encode and decode of one block at 10% parity (k = 128 source symbols of 1456 bytes, 13 parity
/// symbols) on every GF(256) kernel path, with the scalar path as the baseline of each category.
/// The "Source MB/s" column is the block's source bytes (186,368) divided by the mean time.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class FecBenchmarks
{
    public const int SourceCount = 128;
    public const int SymbolSize = 1456;
    public const int ParityCount = 13;
    public const int SourceBytes = SourceCount * SymbolSize;

    private readonly ReedSolomonCodec?[] _codecs = new ReedSolomonCodec?[Enum.GetValues<GaloisKernelPath>().Length];
    private readonly int[] _parityIndices = Enumerable.Range(0, ParityCount).ToArray();
    private readonly byte[] _sources = new byte[SourceBytes];
    private readonly byte[] _block = new byte[SourceBytes];
    private readonly byte[] _parities = new byte[ParityCount * SymbolSize];
    private readonly bool[] _present = new bool[SourceCount];

    [GlobalSetup]
    public void Setup()
    {
        foreach (GaloisKernelPath path in Enum.GetValues<GaloisKernelPath>())
        {
            _codecs[(int)path] = GaloisKernels.IsSupported(path) ? new ReedSolomonCodec(SourceCount, path) : null;
        }

        new Random(42).NextBytes(_sources);
        new ReedSolomonCodec(SourceCount, GaloisKernelPath.Scalar).EncodeParity(_sources, SymbolSize, _parityIndices, _parities);
        _sources.CopyTo(_block, 0);

        // 13 lost sources spread over the block (every 10th), recovered with parities 0..12.
        Array.Fill(_present, true);
        for (int i = 0; i < ParityCount; i++)
        {
            _present[(i * 10) + 3] = false;
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Encode")]
    public void EncodeScalar() => Encode(GaloisKernelPath.Scalar);

    [Benchmark, BenchmarkCategory("Encode")]
    public void EncodeVector128() => Encode(GaloisKernelPath.Vector128);

    [Benchmark, BenchmarkCategory("Encode")]
    public void EncodeVector256() => Encode(GaloisKernelPath.Vector256);

    [Benchmark, BenchmarkCategory("Encode")]
    public void EncodeVector512() => Encode(GaloisKernelPath.Vector512);

    [Benchmark, BenchmarkCategory("Encode")]
    public void EncodeGfni128() => Encode(GaloisKernelPath.Gfni128);

    [Benchmark, BenchmarkCategory("Encode")]
    public void EncodeGfni256() => Encode(GaloisKernelPath.Gfni256);

    [Benchmark, BenchmarkCategory("Encode")]
    public void EncodeGfni512() => Encode(GaloisKernelPath.Gfni512);

    [Benchmark(Baseline = true), BenchmarkCategory("Decode")]
    public bool DecodeScalar() => Decode(GaloisKernelPath.Scalar);

    [Benchmark, BenchmarkCategory("Decode")]
    public bool DecodeVector128() => Decode(GaloisKernelPath.Vector128);

    [Benchmark, BenchmarkCategory("Decode")]
    public bool DecodeVector256() => Decode(GaloisKernelPath.Vector256);

    [Benchmark, BenchmarkCategory("Decode")]
    public bool DecodeVector512() => Decode(GaloisKernelPath.Vector512);

    [Benchmark, BenchmarkCategory("Decode")]
    public bool DecodeGfni128() => Decode(GaloisKernelPath.Gfni128);

    [Benchmark, BenchmarkCategory("Decode")]
    public bool DecodeGfni256() => Decode(GaloisKernelPath.Gfni256);

    [Benchmark, BenchmarkCategory("Decode")]
    public bool DecodeGfni512() => Decode(GaloisKernelPath.Gfni512);

    private void Encode(GaloisKernelPath path) =>
        Codec(path).EncodeParity(_sources, SymbolSize, _parityIndices, _parities);

    // The lost symbols are rewritten with the same recovered bytes each time; every call does the full decode.
    private bool Decode(GaloisKernelPath path) =>
        Codec(path).TryDecode(_block, SymbolSize, _present, _parities, _parityIndices);

    private ReedSolomonCodec Codec(GaloisKernelPath path) =>
        _codecs[(int)path] ?? throw new NotSupportedException($"{path} is not supported on this CPU.");

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new SourceThroughputColumn());
    }

    /// <summary>Megabytes (10^6 bytes) of source data per second: <see cref="SourceBytes"/> / mean time.</summary>
    private sealed class SourceThroughputColumn : IColumn
    {
        public string Id => nameof(SourceThroughputColumn);

        public string ColumnName => "Source MB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Source bytes of the block (128 x 1456) per second, in 10^6 bytes";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return meanNanoseconds is > 0
                ? (SourceBytes / meanNanoseconds.Value * 1000.0).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
                : "NA";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
