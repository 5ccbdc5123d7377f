namespace Deploycast.Content.Library;

/// <summary>Content cannot be served: not in the library, corrupt, missing, or changed since it was validated.</summary>
public sealed class ContentUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ContentUnavailableException(string contentId, ContentState? state, string message)
        : base(message)
    {
        ContentId = contentId;
        State = state;
    }

    /// <summary>The content asked for.</summary>
    public string ContentId { get; }

    /// <summary>Its state; null when the library does not hold it at all.</summary>
    public ContentState? State { get; }
}
