using System.Buffers.Binary;

namespace Deploycast.Protocol.Packets;

/// <summary>
/// Sender to group: one encoding symbol. Body, big-endian:
/// <code>0 u32 block   4 u8 symbol id (0..k-1 source, k..254 parity)   5 u8 reserved   6 u32 send time (µs, sender clock)   10 symbol bytes</code>
/// </summary>
public ref struct DataMessage
{
    /// <summary>Bytes before the symbol.</summary>
    public const int FixedSize = 10;

    public uint Block;
    public byte SymbolId;
    public uint SendTimeMicroseconds;
    public ReadOnlySpan<byte> Symbol;

    /// <summary>Writes the fixed part; the caller writes the symbol right after it (at <see cref="FixedSize"/>).</summary>
    public static void WriteFixed(Span<byte> destination, uint block, byte symbolId, uint sendTimeMicroseconds)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, block);
        destination[4] = symbolId;
        destination[5] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], sendTimeMicroseconds);
    }

    /// <summary>Parses a plaintext body whose symbol must be exactly <paramref name="symbolSize"/> bytes.</summary>
    public static PacketError TryRead(ReadOnlySpan<byte> body, int symbolSize, out DataMessage message)
    {
        message = default;
        if (body.Length != FixedSize + symbolSize)
        {
            return body.Length < FixedSize + symbolSize ? PacketError.Truncated : PacketError.Oversized;
        }

        if (body[5] != 0 || body[4] == 255)
        {
            return PacketError.Malformed;
        }

        message.Block = BinaryPrimitives.ReadUInt32BigEndian(body);
        message.SymbolId = body[4];
        message.SendTimeMicroseconds = BinaryPrimitives.ReadUInt32BigEndian(body[6..]);
        message.Symbol = body[FixedSize..];
        return PacketError.None;
    }
}
