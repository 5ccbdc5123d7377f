using Deploycast.Protocol.Fec;

namespace Deploycast.Protocol.Tests.Fec;

/// <summary>Shared theory data and references for the FEC tests.</summary>
internal static class FecTestData
{
    /// <summary>Every kernel path the running CPU supports (always at least Scalar).</summary>
    public static GaloisKernelPath[] SupportedPaths() =>
        Enum.GetValues<GaloisKernelPath>().Where(GaloisKernels.IsSupported).ToArray();

    /// <summary>
    /// Theory data naming every supported path. Test methods are public and the path enum is internal, so the
    /// theories take its name and <see cref="Path"/> turns it back.
    /// </summary>
    public static TheoryData<string> SupportedPathNames() => new(SupportedPaths().Select(path => path.ToString()));

    public static GaloisKernelPath Path(string name) => Enum.Parse<GaloisKernelPath>(name);

    /// <summary>Carry-less multiply reduced by 0x11B, bit by bit: independent of the field's tables.</summary>
    public static byte ReferenceMultiply(byte a, byte b)
    {
        int product = 0;
        int x = a;
        for (int bit = 0; bit < 8; bit++)
        {
            if ((b & (1 << bit)) != 0)
            {
                product ^= x;
            }

            x <<= 1;
            if ((x & 0x100) != 0)
            {
                x ^= 0x11B;
            }
        }

        return (byte)product;
    }

    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
