using System.Security.Cryptography;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Multicast.Tests;

/// <summary>The write-time checksum the file store compares read-back blocks with.</summary>
public sealed class BlockChecksumTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(31)]
    [InlineData(1442)]
    [InlineData(182528)]
    [InlineData(182528 - 13)]
    public void AnyFlippedBit_ChangesTheChecksum(int length)
    {
        var data = RandomNumberGenerator.GetBytes(length);
        var original = BlockChecksum.Compute(data);
        Assert.Equal(original, BlockChecksum.Compute(data.ToArray()));

        // Every byte for short blocks; a spread of positions (each quarter, the word tail, the byte tail) for long ones.
        var positions = length <= 64 ? Enumerable.Range(0, length) : Enumerable.Range(0, 64).Select(i => (int)((long)i * (length - 1) / 63));
        foreach (var position in positions)
        {
            foreach (var bit in new[] { 0, 3, 7 })
            {
                data[position] ^= (byte)(1 << bit);
                Assert.NotEqual(original, BlockChecksum.Compute(data));
                data[position] ^= (byte)(1 << bit);
            }
        }
    }

    [Fact]
    public void SwappedQuarters_AndZeroBlocksOfOtherLengths_DoNotMatch()
    {
        var data = RandomNumberGenerator.GetBytes(4096);
        var swapped = data[1024..2048].Concat(data[..1024]).Concat(data[2048..]).ToArray();
        Assert.NotEqual(BlockChecksum.Compute(data), BlockChecksum.Compute(swapped));
        Assert.NotEqual(BlockChecksum.Compute(new byte[4096]), BlockChecksum.Compute(new byte[4088]));
    }
}
