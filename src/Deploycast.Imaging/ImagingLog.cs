using Microsoft.Extensions.Logging;

namespace Deploycast.Imaging;

/// <summary>Log messages of image apply: event ids 2100-2199 (beside the content library's 2000-2099).</summary>
internal static partial class ImagingLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Applying {Kind} image {Image} to {Target}")]
    public static partial void ApplyStarted(ILogger logger, ImageKind kind, string image, string target);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Applying image {Index} ({Name}) of {Image}: {TotalBytes} bytes of file data, {FileCount} files")]
    public static partial void WimImageChosen(ILogger logger, int index, string name, string image, long? totalBytes, long? fileCount);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Applied {Image} to {Target}: {Bytes} bytes in {Seconds:F1} s, {MegabytesPerSecond:F0} MB/s")]
    public static partial void ApplyFinished(ILogger logger, string image, string target, long bytes, double seconds, double megabytesPerSecond);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Applying {Image} to {Target} was canceled")]
    public static partial void ApplyCanceled(ILogger logger, string image, string target);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Error, Message = "Applying {Image} to {Target} failed")]
    public static partial void ApplyFailed(ILogger logger, Exception exception, string image, string target);
}
