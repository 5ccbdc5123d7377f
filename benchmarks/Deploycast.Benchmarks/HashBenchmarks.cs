using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Benchmarks;

/// <summary>
/// Verifying received blocks: sixteen blocks of a session's size (128 symbols of 1442 bytes) hashed one at a time
/// (OpenSSL's SHA-256, with the CPU's SHA extensions) against sixteen at once (<see cref="MultiBufferSha256"/>), and
/// the write-time <see cref="BlockChecksum"/> for scale. Per operation: all sixteen blocks (2.95 MB).
/// </summary>
public class HashBenchmarks
{
    private const int BlockSize = 128 * 1442;
    private readonly ReadOnlyMemory<byte>[] _blocks = new ReadOnlyMemory<byte>[MultiBufferSha256.Lanes];
    private readonly byte[] _hashes = new byte[MultiBufferSha256.Lanes * 32];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (var i = 0; i < _blocks.Length; i++)
        {
            var block = new byte[BlockSize];
            random.NextBytes(block);
            _blocks[i] = block;
        }
    }

    [Benchmark(Baseline = true)]
    public void OneAtATime()
    {
        for (var i = 0; i < _blocks.Length; i++)
        {
            SHA256.HashData(_blocks[i].Span, _hashes.AsSpan(i * 32, 32));
        }
    }

    [Benchmark]
    public void SixteenLanes() => MultiBufferSha256.Hash(_blocks, _hashes);

    [Benchmark]
    public ulong Checksums()
    {
        ulong sum = 0;
        foreach (var block in _blocks)
        {
            sum += BlockChecksum.Compute(block.Span);
        }

        return sum;
    }
}
