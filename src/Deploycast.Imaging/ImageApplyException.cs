namespace Deploycast.Imaging;

/// <summary>
/// An image could not be opened or applied. The message names the image file (and the image index for a WIM) and
/// says why, in words an administrator can act on; for a wimlib failure it carries wimlib's own error code and text.
/// </summary>
public sealed class ImageApplyException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="imagePath">The image file (or, for a target problem, the image being applied).</param>
    /// <param name="message">The whole message shown to the user.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public ImageApplyException(string imagePath, string message, Exception? innerException = null)
        : base(message, innerException) => ImagePath = imagePath;

    /// <summary>The image file that was being opened or applied.</summary>
    public string ImagePath { get; }

    /// <summary>The 1-based WIM image index being applied; null when not applying a WIM image.</summary>
    public int? ImageIndex { get; init; }

    /// <summary>wimlib's error code (<c>enum wimlib_error_code</c>); null when the failure did not come from wimlib.</summary>
    public int? WimErrorCode { get; init; }

    /// <summary>wimlib's description of <see cref="WimErrorCode"/> (<c>wimlib_get_error_string</c>); null when not from wimlib.</summary>
    public string? WimErrorText { get; init; }

    /// <summary>True when the target ran out of space.</summary>
    public bool DiskFull { get; init; }
}
