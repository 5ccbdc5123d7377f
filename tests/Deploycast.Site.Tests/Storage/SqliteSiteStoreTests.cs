using Deploycast.Site.Model;
using Deploycast.Site.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deploycast.Site.Tests.Storage;

/// <summary>The contract against SQLite: a file in a temporary directory per test.</summary>
public sealed class SqliteSiteStoreTests : SiteStoreContractTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "deploycast-site-test-" + Guid.NewGuid().ToString("N")[..12]);

    private string DatabasePath => Path.Combine(_directory, "data", SiteStoreOptions.SqliteFileName);

    protected override Task CreateDatabaseAsync() => Task.CompletedTask;

    protected override Task DropDatabaseAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    private protected override ISiteStore CreateStore(IReadOnlyList<SchemaMigration>? migrations = null) =>
        migrations is null
            ? SiteStore.Open(new SiteStoreOptions { DataDirectory = Path.GetDirectoryName(DatabasePath) })
            : new SqliteSiteStore(DatabasePath, TimeSpan.FromSeconds(30), NullLogger.Instance, migrations);

    protected override Task<ISiteStore> CreateStoreOnEmptyDatabaseAsync() =>
        Task.FromResult(Track(new SqliteSiteStore(Path.Combine(_directory, "other", "site.db"), TimeSpan.FromSeconds(30), NullLogger.Instance)));

    protected override async Task<object?> ExecuteScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task Open_WithoutConnectionString_MakesSiteDbInWalModeInTheDataDirectory()
    {
        Assert.True(File.Exists(DatabasePath));
        Assert.Equal("wal", await ExecuteScalarAsync("PRAGMA journal_mode"));
    }

    [Fact]
    public void Open_WithoutConnectionStringOrDataDirectory_NamesTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => SiteStore.Open(new SiteStoreOptions()));

        Assert.Contains("Site:ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Contains("DataDirectory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Times_AreStoredAsUtcTicksThatSortInTimeOrder()
    {
        // Two instants whose local clock readings sort the other way round.
        var earlier = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.FromHours(5));
        var later = new DateTimeOffset(2025, 1, 1, 10, 0, 0, TimeSpan.Zero);
        await Store.AddStatusMessageAsync(NewStatus(0) with { Time = later }, Ct);
        await Store.AddStatusMessageAsync(NewStatus(0) with { Time = earlier }, Ct);

        Assert.Equal(earlier.UtcTicks, Convert.ToInt64(await ExecuteScalarAsync("SELECT MIN(message_time) FROM status_messages"), System.Globalization.CultureInfo.InvariantCulture));
        var listed = (await Store.ListStatusMessagesAsync(new StatusMessageFilter(), Page.Default, Ct)).Items;
        Assert.Equal([later, earlier], listed.Select(m => m.Time));
    }
}
