using System.Buffers.Binary;

namespace Deploycast.Protocol.Packets;

/// <summary>
/// The 20-byte header every Deploycast datagram starts with. All integers are big-endian.
/// <code>
///  0 u16 magic "DC"   2 u8 version   3 u8 type   4 u8 flags   5 u8 reserved (0)
///  6 u16 payload length (bytes after the header)
///  8 u32 session id  12 u32 source id (0 = sender)  16 u32 sequence (per source, increasing)
/// </code>
/// </summary>
public readonly record struct PacketHeader(
    PacketType Type,
    PacketFlags Flags,
    ushort PayloadLength,
    uint SessionId,
    uint SourceId,
    uint Sequence)
{
    /// <summary>Size of the header on the wire.</summary>
    public const int Size = 20;

    /// <summary>The two magic bytes "DC".</summary>
    public const ushort Magic = 0x4443;

    /// <summary>The protocol version this code speaks.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>The largest datagram Deploycast sends or accepts (jumbo frames included).</summary>
    public const int MaxDatagramSize = 9000;

    /// <summary>True when the payload is sealed with the session key.</summary>
    public bool IsEncrypted => (Flags & PacketFlags.Encrypted) != 0;

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Magic);
        destination[2] = CurrentVersion;
        destination[3] = (byte)Type;
        destination[4] = (byte)Flags;
        destination[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], PayloadLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], SessionId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], SourceId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], Sequence);
    }

    /// <summary>
    /// Parses a whole datagram's header. Rejects (without throwing) anything that is truncated, oversized,
    /// not ours, of another version, of an unknown type or with unknown flags, and a payload length that
    /// disagrees with the datagram's length.
    /// </summary>
    public static PacketError TryRead(ReadOnlySpan<byte> datagram, out PacketHeader header)
    {
        header = default;
        if (datagram.Length < Size)
        {
            return PacketError.Truncated;
        }

        if (datagram.Length > MaxDatagramSize)
        {
            return PacketError.Oversized;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(datagram) != Magic)
        {
            return PacketError.NotDeploycast;
        }

        if (datagram[2] != CurrentVersion)
        {
            return PacketError.UnsupportedVersion;
        }

        var type = (PacketType)datagram[3];
        if (type is < PacketType.Announce or > PacketType.Dismiss)
        {
            return PacketError.UnknownType;
        }

        var flags = (PacketFlags)datagram[4];
        if ((flags & ~PacketFlags.Encrypted) != 0 || datagram[5] != 0)
        {
            return PacketError.Malformed;
        }

        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[6..]);
        if (payloadLength != datagram.Length - Size)
        {
            return payloadLength > datagram.Length - Size ? PacketError.Truncated : PacketError.Oversized;
        }

        header = new PacketHeader(
            type,
            flags,
            payloadLength,
            BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[16..]));
        return PacketError.None;
    }
}
