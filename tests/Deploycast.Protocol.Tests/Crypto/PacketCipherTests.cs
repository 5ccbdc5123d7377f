using Deploycast.Protocol.Crypto;
using Deploycast.Protocol.Packets;

namespace Deploycast.Protocol.Tests.Crypto;

public sealed class PacketCipherTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
    private static readonly byte[] Salt = Enumerable.Range(0, 16).Select(i => (byte)(i + 1)).ToArray();

    private static byte[] SealedPacket(PacketCipher cipher, uint sequence, ReadOnlySpan<byte> plaintext, int clearPrefix = 0)
    {
        var bytes = new byte[PacketHeader.Size + plaintext.Length + PacketCipher.TagSize];
        new PacketHeader(PacketType.Data, PacketFlags.Encrypted, (ushort)(plaintext.Length + PacketCipher.TagSize), 9, 0, sequence).Write(bytes);
        plaintext.CopyTo(bytes.AsSpan(PacketHeader.Size));
        cipher.Seal(bytes, clearPrefix);
        return bytes;
    }

    [Fact]
    public void SealThenOpen_GivesThePlaintextBack_AndHidesIt()
    {
        using var sender = PacketCipher.Create(Key, Salt);
        using var receiver = PacketCipher.Create(Key, Salt);
        var plaintext = "a block of an operating-system image"u8.ToArray();
        var packet = SealedPacket(sender, 1, plaintext);
        Assert.False(packet.AsSpan(PacketHeader.Size, plaintext.Length).SequenceEqual(plaintext));

        Assert.True(receiver.TryOpen(packet, 0));
        Assert.True(packet.AsSpan(PacketHeader.Size, plaintext.Length).SequenceEqual(plaintext));
    }

    [Fact]
    public void WrongKeyOrSalt_FailsAuthentication()
    {
        using var sender = PacketCipher.Create(Key, Salt);
        var wrongKey = (byte[])Key.Clone();
        wrongKey[0] ^= 1;
        var wrongSalt = (byte[])Salt.Clone();
        wrongSalt[15] ^= 1;
        using var keyed = PacketCipher.Create(wrongKey, Salt);
        using var salted = PacketCipher.Create(Key, wrongSalt);
        Assert.False(keyed.TryOpen(SealedPacket(sender, 1, new byte[100]), 0));
        Assert.False(salted.TryOpen(SealedPacket(sender, 1, new byte[100]), 0));
    }

    [Fact]
    public void TamperedHeaderPrefixCiphertextOrTag_FailsAuthentication()
    {
        using var cipher = PacketCipher.Create(Key, Salt);
        var original = SealedPacket(cipher, 5, new byte[64], clearPrefix: 16);
        foreach (var position in new[] { 3, 16, PacketHeader.Size + 2, PacketHeader.Size + 30, original.Length - 1 })
        {
            var tampered = (byte[])original.Clone();
            tampered[position] ^= 0x10;
            Assert.False(cipher.TryOpen(tampered, 16), $"a change at byte {position} went unnoticed");
        }

        Assert.True(cipher.TryOpen((byte[])original.Clone(), 16));
    }

    [Fact]
    public void DifferentSequences_GiveDifferentCiphertexts()
    {
        // The nonce comes from the header: the same plaintext under two sequence numbers must not repeat a keystream.
        using var cipher = PacketCipher.Create(Key, Salt);
        var a = SealedPacket(cipher, 1, new byte[32]);
        var b = SealedPacket(cipher, 2, new byte[32]);
        Assert.False(a.AsSpan(PacketHeader.Size, 32).SequenceEqual(b.AsSpan(PacketHeader.Size, 32)));
    }

    [Fact]
    public void Create_RejectsAKeyOfTheWrongSize()
    {
        var error = Assert.Throws<ArgumentException>(() => PacketCipher.Create(new byte[31], Salt));
        Assert.Contains("32 bytes", error.Message, StringComparison.Ordinal);
    }
}
