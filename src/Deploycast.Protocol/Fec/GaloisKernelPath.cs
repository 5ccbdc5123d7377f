namespace Deploycast.Protocol.Fec;

/// <summary>
/// The implementations of the GF(256) bulk kernels. <see cref="GaloisKernels.BestPath"/> picks one at start-up;
/// tests and benchmarks force each one that <see cref="GaloisKernels.IsSupported"/> reports.
/// </summary>
internal enum GaloisKernelPath
{
    /// <summary>Byte at a time through the 64 KiB multiplication table. Always available; the reference.</summary>
    Scalar,

    /// <summary>Split-nibble table lookup with 16-byte shuffles (SSSE3 PSHUFB, or TBL on Arm64).</summary>
    Vector128,

    /// <summary>Split-nibble table lookup with AVX2 VPSHUFB.</summary>
    Vector256,

    /// <summary>Split-nibble table lookup with AVX-512BW VPSHUFB.</summary>
    Vector512,

    /// <summary>GF2P8MULB on 16-byte vectors.</summary>
    Gfni128,

    /// <summary>GF2P8MULB on 32-byte vectors.</summary>
    Gfni256,

    /// <summary>GF2P8MULB on 64-byte vectors.</summary>
    Gfni512,
}
