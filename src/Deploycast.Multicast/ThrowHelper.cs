using System.Diagnostics.CodeAnalysis;

namespace Deploycast.Multicast;

/// <summary>Keeps throw sites out of hot methods.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);
}
