namespace Deploycast.Protocol.Packets;

/// <summary>Sender to group: the session is over. Body: <c>0 u8 reason   1..3 reserved (0)</c>.</summary>
public static class EndMessage
{
    public const int Size = 4;

    public static int Write(Span<byte> destination, EndReason reason)
    {
        destination[..Size].Clear();
        destination[0] = (byte)reason;
        return Size;
    }

    public static PacketError TryRead(ReadOnlySpan<byte> body, out EndReason reason)
    {
        reason = default;
        if (body.Length != Size)
        {
            return body.Length < Size ? PacketError.Truncated : PacketError.Oversized;
        }

        if (body[0] > (byte)EndReason.Failed || body[1] != 0 || body[2] != 0 || body[3] != 0)
        {
            return PacketError.Malformed;
        }

        reason = (EndReason)body[0];
        return PacketError.None;
    }
}
