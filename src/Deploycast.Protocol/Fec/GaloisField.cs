using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Deploycast.Protocol.Fec;

/// <summary>
/// Arithmetic in GF(2^8) built on the AES polynomial x^8+x^4+x^3+x+1 (0x11B).
/// </summary>
/// <remarks>
/// 0x11B is the polynomial that the x86 GF2P8MULB instruction hard-wires, so the GFNI kernels can multiply
/// a whole vector by a broadcast coefficient and agree with these tables. In this field 2 is not a generator
/// (its order is 51); 3 is, so the log/exp tables are built from powers of 3. Addition is XOR.
/// </remarks>
internal static unsafe class GaloisField
{
    /// <summary>The reduction polynomial, including the x^8 term.</summary>
    public const int Polynomial = 0x11B;

    /// <summary>A generator of the multiplicative group (255 nonzero elements).</summary>
    public const byte Generator = 3;

    // Exp is stored twice over (510 entries used) so Exp[Log[a] + Log[b]] needs no reduction mod 255.
    private static readonly byte[] s_exp = BuildExp();
    private static readonly byte[] s_log = BuildLog(s_exp);
    private static readonly byte[] s_inverse = BuildInverse(s_exp, s_log);

    // Row c holds c * x for every x: the scalar kernels index one 256-byte row per coefficient.
    private static readonly byte[] s_multiply = BuildMultiply(s_exp, s_log);

    // Split-nibble tables for the shuffle kernels, pinned (POH) so the kernels address them without fixed:
    // 32 bytes per coefficient c: [0..16) = c * n, [16..32) = c * (n << 4), for n = 0..15.
    private static readonly byte[] s_nibbles = BuildNibbles(s_multiply);

    /// <summary>Address of the pinned split-nibble tables (32 bytes per coefficient).</summary>
    internal static readonly byte* NibbleTables =
        (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s_nibbles));

    /// <summary>a * b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Multiply(byte a, byte b) =>
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s_multiply), (a << 8) | b);

    /// <summary>The multiplicative inverse of a nonzero element.</summary>
    public static byte Inverse(byte a)
    {
        if (a == 0)
        {
            ThrowZeroHasNoInverse();
        }

        return s_inverse[a];
    }

    /// <summary>a / b for nonzero b.</summary>
    public static byte Divide(byte a, byte b) => Multiply(a, Inverse(b));

    /// <summary>Generator^exponent, for any non-negative exponent.</summary>
    public static byte Exp(int exponent) => s_exp[exponent % 255];

    /// <summary>The discrete logarithm to base <see cref="Generator"/> of a nonzero element (0..254).</summary>
    public static int Log(byte a)
    {
        if (a == 0)
        {
            ThrowZeroHasNoInverse();
        }

        return s_log[a];
    }

    /// <summary>The 256 products c * x, x = 0..255: one row of the 64 KiB multiplication table.</summary>
    public static ReadOnlySpan<byte> MultiplicationRow(byte c) => new(s_multiply, c << 8, 256);

    /// <summary>Reference to the first entry of <see cref="MultiplicationRow"/> for kernels that index it unchecked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ref byte MultiplicationRowReference(byte c) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s_multiply), c << 8);

    /// <summary>Multiplies by x (that is, by 2) and reduces: the one step every table is built from.</summary>
    internal static byte MultiplyByX(byte a)
    {
        int shifted = a << 1;
        return (byte)((shifted & 0x100) != 0 ? shifted ^ Polynomial : shifted);
    }

    private static byte[] BuildExp()
    {
        var exp = new byte[512];
        byte value = 1;
        for (int i = 0; i < 255; i++)
        {
            exp[i] = value;
            exp[i + 255] = value;
            value = (byte)(MultiplyByX(value) ^ value); // value * 3 = value * x + value
        }

        exp[510] = exp[0];
        exp[511] = exp[1];
        return exp;
    }

    private static byte[] BuildLog(byte[] exp)
    {
        var log = new byte[256];
        for (int i = 0; i < 255; i++)
        {
            log[exp[i]] = (byte)i;
        }

        return log;
    }

    private static byte[] BuildInverse(byte[] exp, byte[] log)
    {
        var inverse = new byte[256];
        for (int a = 1; a < 256; a++)
        {
            inverse[a] = exp[(255 - log[a]) % 255];
        }

        return inverse;
    }

    private static byte[] BuildMultiply(byte[] exp, byte[] log)
    {
        var table = new byte[256 * 256];
        for (int a = 1; a < 256; a++)
        {
            for (int b = 1; b < 256; b++)
            {
                table[(a << 8) | b] = exp[log[a] + log[b]];
            }
        }

        return table;
    }

    private static byte[] BuildNibbles(byte[] multiply)
    {
        byte[] tables = GC.AllocateArray<byte>(256 * 32, pinned: true);
        for (int c = 0; c < 256; c++)
        {
            for (int n = 0; n < 16; n++)
            {
                tables[(c * 32) + n] = multiply[(c << 8) | n];
                tables[(c * 32) + 16 + n] = multiply[(c << 8) | (n << 4)];
            }
        }

        return tables;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowZeroHasNoInverse() =>
        throw new DivideByZeroException("Zero has no multiplicative inverse in GF(256).");
}
