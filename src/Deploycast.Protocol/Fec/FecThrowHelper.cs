using System.Diagnostics.CodeAnalysis;

namespace Deploycast.Protocol.Fec;

/// <summary>Throw sites for the FEC code, kept out of the kernels and codec methods so those stay small.</summary>
internal static class FecThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, object? actualValue, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, message);

    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowPathNotSupported(GaloisKernelPath path) =>
        throw new NotSupportedException($"The {path} GF(256) kernel is not supported on this CPU.");

    [DoesNotReturn]
    public static void ThrowSingularMatrix() =>
        throw new InvalidOperationException("The decoding matrix is singular; the Cauchy construction should never allow this.");
}
