using System.Buffers.Binary;

namespace Deploycast.Protocol.Packets;

/// <summary>
/// Sender to group, a few times a second: everything a receiver needs to join.
/// Clear prefix: the 16-byte key salt (authenticated, not encrypted, because the receiver derives the key from it).
/// Body (sealed when encrypted), big-endian:
/// <code>
///  0 u8 state   1 u8 reserved   2 u16 symbol size   4 u8 symbols per block   5 u8 reserved   6 u16 status interval (ms)
///  8 u64 file size   16 u32 manifest length   20 u32 first-pass frontier (blocks)   24 u32 receivers
/// 28 u32 send rate (kbit/s)   32 [32] manifest SHA-256   64 u8 name length   65 name (UTF-8)
/// </code>
/// </summary>
public ref struct AnnounceMessage
{
    /// <summary>Length of the clear prefix (the key salt).</summary>
    public const int ClearPrefixSize = 16;

    /// <summary>Length of the body without the name.</summary>
    public const int FixedBodySize = 65;

    public ReadOnlySpan<byte> KeySalt;
    public SessionState State;
    public ushort SymbolSize;
    public byte SymbolsPerBlock;
    public ushort StatusIntervalMilliseconds;
    public ulong FileSize;
    public uint ManifestLength;
    public uint Frontier;
    public uint Receivers;
    public uint RateKilobitsPerSecond;
    public ReadOnlySpan<byte> ManifestHash;
    public ReadOnlySpan<byte> NameUtf8;

    /// <summary>Bytes this message needs after the header, before any tag.</summary>
    public readonly int PayloadSize => ClearPrefixSize + FixedBodySize + NameUtf8.Length;

    /// <summary>Writes the clear prefix and body into <paramref name="destination"/>; returns the bytes written.</summary>
    public readonly int Write(Span<byte> destination)
    {
        if (KeySalt.Length != ClearPrefixSize || ManifestHash.Length != 32 || NameUtf8.Length > byte.MaxValue)
        {
            ThrowHelper.ThrowArgument("announce fields have the wrong length");
        }

        KeySalt.CopyTo(destination);
        var body = destination[ClearPrefixSize..];
        body[0] = (byte)State;
        body[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(body[2..], SymbolSize);
        body[4] = SymbolsPerBlock;
        body[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(body[6..], StatusIntervalMilliseconds);
        BinaryPrimitives.WriteUInt64BigEndian(body[8..], FileSize);
        BinaryPrimitives.WriteUInt32BigEndian(body[16..], ManifestLength);
        BinaryPrimitives.WriteUInt32BigEndian(body[20..], Frontier);
        BinaryPrimitives.WriteUInt32BigEndian(body[24..], Receivers);
        BinaryPrimitives.WriteUInt32BigEndian(body[28..], RateKilobitsPerSecond);
        ManifestHash.CopyTo(body[32..]);
        body[64] = (byte)NameUtf8.Length;
        NameUtf8.CopyTo(body[65..]);
        return PayloadSize;
    }

    /// <summary>Parses a plaintext payload (clear prefix + body). Rejects wrong lengths and unknown states.</summary>
    public static PacketError TryRead(ReadOnlySpan<byte> payload, out AnnounceMessage message)
    {
        message = default;
        if (payload.Length < ClearPrefixSize + FixedBodySize)
        {
            return PacketError.Truncated;
        }

        var body = payload[ClearPrefixSize..];
        var nameLength = body[64];
        if (body.Length != FixedBodySize + nameLength)
        {
            return body.Length < FixedBodySize + nameLength ? PacketError.Truncated : PacketError.Oversized;
        }

        var state = (SessionState)body[0];
        if (state > SessionState.Transferring || body[1] != 0 || body[5] != 0)
        {
            return PacketError.Malformed;
        }

        message.KeySalt = payload[..ClearPrefixSize];
        message.State = state;
        message.SymbolSize = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        message.SymbolsPerBlock = body[4];
        message.StatusIntervalMilliseconds = BinaryPrimitives.ReadUInt16BigEndian(body[6..]);
        message.FileSize = BinaryPrimitives.ReadUInt64BigEndian(body[8..]);
        message.ManifestLength = BinaryPrimitives.ReadUInt32BigEndian(body[16..]);
        message.Frontier = BinaryPrimitives.ReadUInt32BigEndian(body[20..]);
        message.Receivers = BinaryPrimitives.ReadUInt32BigEndian(body[24..]);
        message.RateKilobitsPerSecond = BinaryPrimitives.ReadUInt32BigEndian(body[28..]);
        message.ManifestHash = body.Slice(32, 32);
        message.NameUtf8 = body.Slice(65, nameLength);
        if (message.SymbolSize == 0 || message.SymbolsPerBlock == 0 || message.SymbolsPerBlock >= 255
            || message.ManifestLength == 0 || message.FileSize > long.MaxValue)
        {
            return PacketError.Malformed;
        }

        return PacketError.None;
    }
}
