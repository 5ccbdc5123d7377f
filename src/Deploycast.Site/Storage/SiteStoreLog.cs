using Microsoft.Extensions.Logging;

namespace Deploycast.Site.Storage;

/// <summary>Log messages of the site database: event ids 5000-5019.</summary>
internal static partial class SiteStoreLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Site database: {Database}")]
    public static partial void Opened(ILogger logger, string database);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Site database schema upgraded to version {Version}: {Description}")]
    public static partial void MigrationApplied(ILogger logger, int version, string description);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "Site database schema is at version {Version}, the newest this server knows")]
    public static partial void SchemaCurrent(ILogger logger, int version);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Error, Message = "The site database is at schema version {DatabaseVersion}, newer than this server's {CodeVersion}")]
    public static partial void SchemaTooNew(ILogger logger, int databaseVersion, int codeVersion);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "SQLite database {Path} is in journal mode '{Mode}', not WAL: readers wait for writers")]
    public static partial void NotWal(ILogger logger, string path, string mode);
}
