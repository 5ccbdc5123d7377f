namespace Deploycast.Protocol.Packets;

/// <summary>A run of blocks for which a receiver still needs <see cref="Need"/> more symbols each.</summary>
/// <param name="Start">First block of the run.</param>
/// <param name="Count">Blocks in the run (1..65535).</param>
/// <param name="Need">Symbols still needed per block (1..254).</param>
public readonly record struct NeedRange(uint Start, ushort Count, byte Need)
{
    /// <summary>Size of one range on the wire: u32 start, u16 count, u8 need.</summary>
    public const int Size = 7;
}
