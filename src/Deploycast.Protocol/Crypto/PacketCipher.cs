using System.Security.Cryptography;
using Deploycast.Protocol.Packets;

namespace Deploycast.Protocol.Crypto;

/// <summary>
/// AES-256-GCM sealing of whole packets with a per-session key. The session key is derived with HKDF-SHA256
/// from the 32-byte pre-shared key and a random salt the sender picks for each session, so two sessions under
/// one key file never share a key. The 12-byte nonce is session id ‖ source id ‖ sequence from the header:
/// each source numbers its packets and never reuses a sequence number within a session.
/// The header and the message's clear prefix are authenticated (associated data); the rest is encrypted in place.
/// Not thread-safe: one instance per thread.
/// </summary>
public sealed class PacketCipher : IDisposable
{
    /// <summary>Size of the authentication tag appended to every sealed packet.</summary>
    public const int TagSize = 16;

    /// <summary>Size of the pre-shared key (the key file's length).</summary>
    public const int KeySize = 32;

    /// <summary>Size of the per-session salt.</summary>
    public const int SaltSize = 16;

    private static readonly byte[] KeyInfo = "deploycast/1 packet key"u8.ToArray();
    private readonly AesGcm _aes;

    private PacketCipher(byte[] sessionKey)
    {
        _aes = new AesGcm(sessionKey, TagSize);
        CryptographicOperations.ZeroMemory(sessionKey);
    }

    /// <summary>Creates the cipher of the session that uses <paramref name="salt"/> under <paramref name="preSharedKey"/>.</summary>
    public static PacketCipher Create(ReadOnlySpan<byte> preSharedKey, ReadOnlySpan<byte> salt)
    {
        if (preSharedKey.Length != KeySize)
        {
            ThrowHelper.ThrowArgument($"the key must be {KeySize} bytes, not {preSharedKey.Length}");
        }

        if (salt.Length != SaltSize)
        {
            ThrowHelper.ThrowArgument($"the salt must be {SaltSize} bytes");
        }

        var key = new byte[KeySize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, preSharedKey, key, salt, KeyInfo);
        return new PacketCipher(key);
    }

    /// <summary>
    /// Seals a packet in place. <paramref name="packet"/> holds the header (flags with <see cref="PacketFlags.Encrypted"/>
    /// and a payload length that counts the tag), then <paramref name="clearPrefixLength"/> authenticated bytes,
    /// then the plaintext, then room for the tag at the end.
    /// </summary>
    public void Seal(Span<byte> packet, int clearPrefixLength)
    {
        Span<byte> nonce = stackalloc byte[12];
        BuildNonce(packet, nonce);
        var aadLength = PacketHeader.Size + clearPrefixLength;
        var plain = packet[aadLength..^TagSize];
        _aes.Encrypt(nonce, plain, plain, packet[^TagSize..], packet[..aadLength]);
    }

    /// <summary>
    /// Opens a sealed packet in place; on success the plaintext replaces the ciphertext and the message
    /// is <c>packet[header + prefix .. ^TagSize]</c>. Returns false for a forged, corrupted or wrongly keyed packet.
    /// </summary>
    public bool TryOpen(Span<byte> packet, int clearPrefixLength)
    {
        var aadLength = PacketHeader.Size + clearPrefixLength;
        if (packet.Length < aadLength + TagSize)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[12];
        BuildNonce(packet, nonce);
        var cipher = packet[aadLength..^TagSize];
        try
        {
            _aes.Decrypt(nonce, cipher, packet[^TagSize..], cipher, packet[..aadLength]);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // Decrypt clears the output on failure; the packet is dropped and counted by the caller.
            return false;
        }
    }

    private static void BuildNonce(ReadOnlySpan<byte> header, Span<byte> nonce)
    {
        // session id, source id and sequence sit contiguously at bytes 8..19 of the header.
        header.Slice(8, 12).CopyTo(nonce);
    }

    public void Dispose() => _aes.Dispose();
}
