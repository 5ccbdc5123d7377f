using Microsoft.Extensions.Logging;

namespace Deploycast.Content;

// Log event ids are numbered by area, one block of a thousand per project, so an id alone says where a message
// comes from: Multicast 2000s, DistributionPoint 3000s (its status message ids are 3001-3049, logged under 3000),
// Content 4000s, Site 5000s, Agent 6000s, Imaging 7000s. Within a block, leave gaps between concerns.

/// <summary>Log messages of the content library and the site key: event ids 4000-4099.</summary>
internal static partial class ContentLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Content library {Root} opened (block size {BlockSize})")]
    public static partial void LibraryOpened(ILogger logger, string root, int blockSize);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Removed {Count} unfinished import(s) left in {Staging} by an earlier run")]
    public static partial void StagingRemoved(ILogger logger, int count, string staging);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Importing {Source} ({Size} bytes)")]
    public static partial void ImportStarted(ILogger logger, string source, long size);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Imported {Source} as content {ContentId}: {Size} bytes, {ZeroBytes} in all-zero blocks, {Seconds:F1} s, {MegabytesPerSecond:F0} MB/s")]
    public static partial void Imported(ILogger logger, string source, string contentId, long size, long zeroBytes, double seconds, double megabytesPerSecond);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "{Source} is content {ContentId}, which the library already holds; the stored copy is kept")]
    public static partial void ImportDeduplicated(ILogger logger, string source, string contentId);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "The stored copy of content {ContentId} was {Reason}; the new import of {Source} replaces it")]
    public static partial void ImportReplaced(ILogger logger, string contentId, string reason, string source);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Import of {Source} failed; nothing was kept")]
    public static partial void ImportFailed(ILogger logger, Exception exception, string source);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Import of {Source} canceled; nothing was kept")]
    public static partial void ImportCanceled(ILogger logger, string source);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "Content {ContentId} deleted")]
    public static partial void ContentDeleted(ILogger logger, string contentId);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Content {ContentId} has no readable manifest ({Reason}); it is not listed until it is imported again")]
    public static partial void ManifestUnreadable(ILogger logger, string contentId, string reason);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "Validating {Count} content item(s), {Bytes} bytes")]
    public static partial void ValidationStarted(ILogger logger, int count, long bytes);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "Content {ContentId} is valid")]
    public static partial void ContentValid(ILogger logger, string contentId);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Error, Message = "Content {ContentId} is corrupt: {Message}")]
    public static partial void ContentCorrupt(ILogger logger, string contentId, string message);

    [LoggerMessage(EventId = 4023, Level = LogLevel.Error, Message = "Content {ContentId} is missing: {Message}")]
    public static partial void ContentMissing(ILogger logger, string contentId, string message);

    [LoggerMessage(EventId = 4024, Level = LogLevel.Warning, Message = "Content {ContentId} was not validated: {Message}")]
    public static partial void ContentNotValidated(ILogger logger, string contentId, string message);

    [LoggerMessage(EventId = 4025, Level = LogLevel.Information, Message = "Validation finished: {Valid} valid, {Corrupt} corrupt, {Missing} missing, {Unverified} not validated, {Seconds:F1} s")]
    public static partial void ValidationFinished(ILogger logger, int valid, int corrupt, int missing, int unverified, double seconds);

    [LoggerMessage(EventId = 4030, Level = LogLevel.Warning, Message = "Created a new site key {Path}, fingerprint {Fingerprint}: back it up, content signed with it cannot be verified without it")]
    public static partial void SiteKeyCreated(ILogger logger, string path, string fingerprint);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Information, Message = "Loaded site key {Path}, fingerprint {Fingerprint}")]
    public static partial void SiteKeyLoaded(ILogger logger, string path, string fingerprint);

    [LoggerMessage(EventId = 4032, Level = LogLevel.Warning, Message = "Site key {Path} is readable by other users (mode {Mode}); chmod 600 it")]
    public static partial void SiteKeyReadableByOthers(ILogger logger, string path, UnixFileMode mode);
}
