using System.Buffers;

namespace Deploycast.Content.Library;

/// <summary>Content ids: the lowercase hex SHA-256 of the file, 64 characters. Also a safe directory name.</summary>
internal static class ContentIds
{
    public const int Length = 64;
    private static readonly SearchValues<char> LowercaseHex = SearchValues.Create("0123456789abcdef");

    public static bool IsValid(string? id) => id is { Length: Length } && !id.AsSpan().ContainsAnyExcept(LowercaseHex);

    public static void ThrowIfInvalid(string contentId, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(contentId, parameterName);
        if (!IsValid(contentId))
        {
            throw new ArgumentException(
                $"'{contentId}' is not a content id: a content id is the SHA-256 of the file as 64 lowercase hex characters.",
                parameterName);
        }
    }
}
