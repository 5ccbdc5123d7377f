namespace Deploycast.Site.Storage;

/// <summary>
/// Where the site database lives. Bound from the <c>Site</c> configuration section: <c>Site:ConnectionString</c>
/// (environment variable <c>DEPLOYCAST_Site__ConnectionString</c>) chooses PostgreSQL; without it the site keeps a
/// SQLite file, <c>site.db</c>, in <see cref="DataDirectory"/>. See docs/site-store.md.
/// </summary>
public sealed class SiteStoreOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Site";

    /// <summary>The SQLite file's name in <see cref="DataDirectory"/>.</summary>
    public const string SqliteFileName = "site.db";

    /// <summary>
    /// A PostgreSQL connection string in Npgsql's keywords (<c>Host=db1;Database=deploycast;Username=deploycast;Password=...</c>).
    /// Default null: the site uses SQLite. Several site servers given the same database share one site.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The directory of <c>site.db</c> when <see cref="ConnectionString"/> is not set (created when missing).
    /// Default null; required for SQLite.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>How long a SQLite write waits for another connection's write to finish before it fails. Default 30 seconds;
    /// from 0 to 24 hours.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>True when <see cref="ConnectionString"/> is set, so the site uses PostgreSQL.</summary>
    public bool UsesPostgres => !string.IsNullOrWhiteSpace(ConnectionString);

    /// <summary>Throws an <see cref="ArgumentException"/> that names the setting when a value is missing or out of range.</summary>
    public void Validate()
    {
        if (!UsesPostgres && string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException(
                "Site:ConnectionString is not set, so the site database is a SQLite file, and SiteStoreOptions.DataDirectory must name its directory.",
                nameof(DataDirectory));
        }

        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > TimeSpan.FromHours(24))
        {
            throw new ArgumentException(
                $"SiteStoreOptions.BusyTimeout is {BusyTimeout}; it must be between 0 and 24 hours.", nameof(BusyTimeout));
        }
    }
}
