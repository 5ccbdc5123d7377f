namespace Deploycast.Imaging.Detection;

/// <summary>
/// Tells how an image file is to be applied: a WIM by its magic bytes, whatever its name; otherwise a raw image
/// when its name ends in .img or .raw or the caller says it is one; otherwise any other file.
/// </summary>
public static class ImageKindDetector
{
    /// <summary>Bytes needed from the start of a file to detect it.</summary>
    public const int HeaderLength = 8;

    /// <summary>File name endings taken as raw disk images (case-insensitive).</summary>
    public static IReadOnlyList<string> RawExtensions { get; } = [".img", ".raw"];

    /// <summary>"MSWIM\0\0\0": the first eight bytes of every WIM header (wimlib's pipable WIMs start otherwise and are not applied here).</summary>
    private static ReadOnlySpan<byte> WimMagic => "MSWIM\0\0\0"u8;

    /// <summary>Reads the first bytes of <paramref name="path"/> and detects its kind.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="treatAsRaw">The package says the file is a raw disk image whatever its name.</param>
    public static ImageKind Detect(string path, bool treatAsRaw = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Span<byte> header = stackalloc byte[HeaderLength];
        int read;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            read = RandomAccess.Read(handle, header, 0);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new ImageApplyException(Path.GetFullPath(path), $"Cannot read {Path.GetFullPath(path)} to tell what kind of image it is: {exception.Message}", exception);
        }

        return Detect(header[..read], Path.GetFileName(path), treatAsRaw);
    }

    /// <summary>Detects the kind from the file's first bytes (<see cref="HeaderLength"/>, fewer for a short file) and its name.</summary>
    public static ImageKind Detect(ReadOnlySpan<byte> header, string fileName, bool treatAsRaw = false)
    {
        if (header.StartsWith(WimMagic))
        {
            return ImageKind.Wim;
        }

        if (treatAsRaw)
        {
            return ImageKind.Raw;
        }

        foreach (var extension in RawExtensions)
        {
            if (fileName.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                return ImageKind.Raw;
            }
        }

        return ImageKind.File;
    }
}
