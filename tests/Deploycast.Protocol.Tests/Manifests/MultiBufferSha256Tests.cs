using System.Security.Cryptography;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Protocol.Tests.Manifests;

/// <summary>The sixteen-lane SHA-256 gives exactly what <see cref="SHA256"/> gives, for every lane count and for the
/// lengths where SHA-256's padding changes shape.</summary>
public sealed class MultiBufferSha256Tests
{
    public static TheoryData<int> Lengths => [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 4096 + 13, 184_576];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EveryLaneCount_GivesEachInputsSha256(int length)
    {
        if (!MultiBufferSha256.IsSupported)
        {
            Assert.Throws<PlatformNotSupportedException>(() => MultiBufferSha256.Hash([new byte[length]], new byte[32]));
            return;
        }

        var random = new Random(length);
        for (var count = 1; count <= MultiBufferSha256.Lanes; count++)
        {
            var inputs = new ReadOnlyMemory<byte>[count];
            for (var i = 0; i < count; i++)
            {
                var data = new byte[length];
                random.NextBytes(data);
                inputs[i] = data;
            }

            var hashes = new byte[count * 32];
            MultiBufferSha256.Hash(inputs, hashes);
            for (var i = 0; i < count; i++)
            {
                Assert.Equal(SHA256.HashData(inputs[i].Span), hashes.AsSpan(i * 32, 32).ToArray());
            }
        }
    }

    [Fact]
    public void InputsInsideLargerBuffers_AndOneChangedBit_AreHashedAsThemselves()
    {
        if (!MultiBufferSha256.IsSupported)
        {
            return;
        }

        var backing = new byte[16 * 5000];
        new Random(7).NextBytes(backing);
        var inputs = Enumerable.Range(0, 16).Select(i => (ReadOnlyMemory<byte>)backing.AsMemory((i * 5000) + 3, 4001)).ToArray();
        var before = new byte[16 * 32];
        MultiBufferSha256.Hash(inputs, before);
        backing[(9 * 5000) + 3 + 2000] ^= 0x10;
        var after = new byte[16 * 32];
        MultiBufferSha256.Hash(inputs, after);
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(SHA256.HashData(inputs[i].Span), after.AsSpan(i * 32, 32).ToArray());
            Assert.Equal(i != 9, before.AsSpan(i * 32, 32).SequenceEqual(after.AsSpan(i * 32, 32)));
        }
    }

    [Fact]
    public void BadArguments_AreRefusedWithTheReason()
    {
        if (!MultiBufferSha256.IsSupported)
        {
            return;
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => MultiBufferSha256.Hash([], new byte[32]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultiBufferSha256.Hash(Enumerable.Repeat((ReadOnlyMemory<byte>)new byte[1], 17).ToArray(), new byte[17 * 32]));
        Assert.Throws<ArgumentException>(() => MultiBufferSha256.Hash([new byte[10], new byte[11]], new byte[64]));
        Assert.Throws<ArgumentException>(() => MultiBufferSha256.Hash([new byte[10], new byte[10]], new byte[63]));
    }
}
