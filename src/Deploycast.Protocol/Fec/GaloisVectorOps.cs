using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Deploycast.Protocol.Fec;

/// <summary>
/// One SIMD flavour of "multiply a vector of field elements by a constant", so the kernels in
/// <see cref="GaloisKernels"/> are written once and specialised by the JIT per struct.
/// </summary>
/// <remarks>
/// A source vector is first split (<see cref="Low"/>, <see cref="High"/>) once, then multiplied by the
/// coefficient of every output row. The shuffle flavours split into low and high nibbles; the GFNI flavours
/// need no split and ignore <c>high</c>, which the JIT then drops as dead code.
/// </remarks>
internal unsafe interface IGaloisVectorOps<TVector>
    where TVector : struct
{
    /// <summary>Bytes per vector.</summary>
    static abstract int Width { get; }

    static abstract TVector Load(byte* source);

    static abstract void Store(byte* destination, TVector value);

    static abstract TVector Xor(TVector left, TVector right);

    static abstract TVector And(TVector left, TVector right);

    /// <summary>Bytes of <paramref name="left"/> where <paramref name="mask"/> is 0xFF, else of <paramref name="right"/>.</summary>
    static abstract TVector Select(TVector mask, TVector left, TVector right);

    static abstract TVector Low(TVector value);

    static abstract TVector High(TVector value);

    /// <summary>c * value, given the split of value and c replicated into the four bytes of <paramref name="coefficient"/>.</summary>
    static abstract TVector Multiply(TVector low, TVector high, uint coefficient);
}

internal readonly unsafe struct ShuffleOps128 : IGaloisVectorOps<Vector128<byte>>
{
    public static int Width => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Load(byte* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector128<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Xor(Vector128<byte> left, Vector128<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> And(Vector128<byte> left, Vector128<byte> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Select(Vector128<byte> mask, Vector128<byte> left, Vector128<byte> right) =>
        Vector128.ConditionalSelect(mask, left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Low(Vector128<byte> value) => value & Vector128.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> High(Vector128<byte> value) =>
        Vector128.ShiftRightLogical(value.AsUInt16(), 4).AsByte() & Vector128.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Multiply(Vector128<byte> low, Vector128<byte> high, uint coefficient)
    {
        byte* tables = GaloisField.NibbleTables + ((coefficient & 0xFF) << 5);
        // Indices are always 0..15, where ShuffleNative is defined on every platform (PSHUFB, TBL).
        return Vector128.ShuffleNative(Vector128.Load(tables), low)
            ^ Vector128.ShuffleNative(Vector128.Load(tables + 16), high);
    }
}

internal readonly unsafe struct ShuffleOps256 : IGaloisVectorOps<Vector256<byte>>
{
    public static int Width => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector256<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Xor(Vector256<byte> left, Vector256<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> And(Vector256<byte> left, Vector256<byte> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Select(Vector256<byte> mask, Vector256<byte> left, Vector256<byte> right) =>
        Vector256.ConditionalSelect(mask, left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Low(Vector256<byte> value) => value & Vector256.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> High(Vector256<byte> value) =>
        Vector256.ShiftRightLogical(value.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Multiply(Vector256<byte> low, Vector256<byte> high, uint coefficient)
    {
        byte* tables = GaloisField.NibbleTables + ((coefficient & 0xFF) << 5);
        // VPSHUFB looks up within each 128-bit lane, so each 16-entry table is broadcast to both lanes
        // (VBROADCASTI128 from memory is a plain load, no shuffle port).
        return Avx2.Shuffle(Avx2.BroadcastVector128ToVector256(tables), low)
            ^ Avx2.Shuffle(Avx2.BroadcastVector128ToVector256(tables + 16), high);
    }
}

internal readonly unsafe struct ShuffleOps512 : IGaloisVectorOps<Vector512<byte>>
{
    public static int Width => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector512<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Xor(Vector512<byte> left, Vector512<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> And(Vector512<byte> left, Vector512<byte> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Select(Vector512<byte> mask, Vector512<byte> left, Vector512<byte> right) =>
        Vector512.ConditionalSelect(mask, left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Low(Vector512<byte> value) => value & Vector512.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> High(Vector512<byte> value) =>
        Vector512.ShiftRightLogical(value.AsUInt16(), 4).AsByte() & Vector512.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Multiply(Vector512<byte> low, Vector512<byte> high, uint coefficient)
    {
        uint* tables = (uint*)(GaloisField.NibbleTables + ((coefficient & 0xFF) << 5));
        return Avx512BW.Shuffle(Avx512F.BroadcastVector128ToVector512(tables).AsByte(), low)
            ^ Avx512BW.Shuffle(Avx512F.BroadcastVector128ToVector512(tables + 4).AsByte(), high);
    }
}

internal readonly unsafe struct GfniOps128 : IGaloisVectorOps<Vector128<byte>>
{
    public static int Width => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Load(byte* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector128<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Xor(Vector128<byte> left, Vector128<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> And(Vector128<byte> left, Vector128<byte> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Select(Vector128<byte> mask, Vector128<byte> left, Vector128<byte> right) =>
        Vector128.ConditionalSelect(mask, left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Low(Vector128<byte> value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> High(Vector128<byte> value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Multiply(Vector128<byte> low, Vector128<byte> high, uint coefficient) =>
        Gfni.GaloisFieldMultiply(low, Vector128.Create(coefficient).AsByte());
}

internal readonly unsafe struct GfniOps256 : IGaloisVectorOps<Vector256<byte>>
{
    public static int Width => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector256<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Xor(Vector256<byte> left, Vector256<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> And(Vector256<byte> left, Vector256<byte> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Select(Vector256<byte> mask, Vector256<byte> left, Vector256<byte> right) =>
        Vector256.ConditionalSelect(mask, left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Low(Vector256<byte> value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> High(Vector256<byte> value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Multiply(Vector256<byte> low, Vector256<byte> high, uint coefficient) =>
        Gfni.V256.GaloisFieldMultiply(low, Vector256.Create(coefficient).AsByte());
}

internal readonly unsafe struct GfniOps512 : IGaloisVectorOps<Vector512<byte>>
{
    public static int Width => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* destination, Vector512<byte> value) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Xor(Vector512<byte> left, Vector512<byte> right) => left ^ right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> And(Vector512<byte> left, Vector512<byte> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Select(Vector512<byte> mask, Vector512<byte> left, Vector512<byte> right) =>
        Vector512.ConditionalSelect(mask, left, right);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Low(Vector512<byte> value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> High(Vector512<byte> value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Multiply(Vector512<byte> low, Vector512<byte> high, uint coefficient) =>
        Gfni.V512.GaloisFieldMultiply(low, Vector512.Create(coefficient).AsByte());
}
