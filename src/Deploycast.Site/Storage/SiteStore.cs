using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deploycast.Site.Storage;

/// <summary>Opens the site database that <see cref="SiteStoreOptions"/> describe.</summary>
public static class SiteStore
{
    /// <summary>
    /// Opens the site database: PostgreSQL when <see cref="SiteStoreOptions.ConnectionString"/> is set, otherwise the
    /// SQLite file <c>site.db</c> in <see cref="SiteStoreOptions.DataDirectory"/> (the directory is created when missing).
    /// Only the directory is made here: call <see cref="ISiteStore.MigrateAsync"/> at start-up before anything else.
    /// </summary>
    /// <param name="options">Checked here.</param>
    /// <param name="loggerFactory">Optional.</param>
    /// <exception cref="ArgumentException">A setting is missing or out of range; the message names it.</exception>
    public static ISiteStore Open(SiteStoreOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger(typeof(SiteStore).FullName!);
        return options.UsesPostgres
            ? new PostgresSiteStore(options.ConnectionString!, logger, loggerFactory)
            : new SqliteSiteStore(Path.Combine(options.DataDirectory!, SiteStoreOptions.SqliteFileName), options.BusyTimeout, logger);
    }
}
