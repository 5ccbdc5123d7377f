using System.Buffers.Binary;

namespace Deploycast.Protocol.Packets;

/// <summary>
/// Sender to group: one receiver must leave the session (the distribution point's slow-client policy disconnected
/// it). Body: <c>0 u32 receiver id   4 u8 flags (bit 0: the receiver may fall back to unicast)   5..7 reserved (0)</c>.
/// </summary>
public static class DismissMessage
{
    public const int Size = 8;

    private const byte FallBackFlag = 0x01;

    public static int Write(Span<byte> destination, uint receiverId, bool fallBackToUnicast)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(destination, receiverId);
        destination[4] = fallBackToUnicast ? FallBackFlag : (byte)0;
        return Size;
    }

    public static PacketError TryRead(ReadOnlySpan<byte> body, out uint receiverId, out bool fallBackToUnicast)
    {
        receiverId = 0;
        fallBackToUnicast = false;
        if (body.Length != Size)
        {
            return body.Length < Size ? PacketError.Truncated : PacketError.Oversized;
        }

        receiverId = BinaryPrimitives.ReadUInt32BigEndian(body);
        if (receiverId == 0 || (body[4] & ~FallBackFlag) != 0 || body[5] != 0 || body[6] != 0 || body[7] != 0)
        {
            receiverId = 0;
            return PacketError.Malformed;
        }

        fallBackToUnicast = (body[4] & FallBackFlag) != 0;
        return PacketError.None;
    }
}
