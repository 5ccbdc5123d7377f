using System.Buffers.Binary;

namespace Deploycast.Protocol.Packets;

/// <summary>
/// Sender to group: receivers whose completion (or departure) the sender has recorded, so they may exit.
/// Body: <c>0 u16 count   2 u16 reserved   4 u32 receiver id × count</c>.
/// </summary>
public ref struct AckMessage
{
    public const int FixedSize = 4;

    public ReadOnlySpan<byte> IdBytes;

    public readonly int Count => IdBytes.Length / 4;

    public readonly uint GetId(int index) => BinaryPrimitives.ReadUInt32BigEndian(IdBytes[(index * 4)..]);

    /// <summary>Writes an ack for <paramref name="ids"/>; returns the body length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<uint> ids)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, checked((ushort)ids.Length));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        for (var i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[(FixedSize + (i * 4))..], ids[i]);
        }

        return FixedSize + (ids.Length * 4);
    }

    public static PacketError TryRead(ReadOnlySpan<byte> body, out AckMessage message)
    {
        message = default;
        if (body.Length < FixedSize)
        {
            return PacketError.Truncated;
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(body);
        if (BinaryPrimitives.ReadUInt16BigEndian(body[2..]) != 0)
        {
            return PacketError.Malformed;
        }

        if (body.Length != FixedSize + (count * 4))
        {
            return body.Length < FixedSize + (count * 4) ? PacketError.Truncated : PacketError.Oversized;
        }

        message.IdBytes = body[FixedSize..];
        return PacketError.None;
    }
}
