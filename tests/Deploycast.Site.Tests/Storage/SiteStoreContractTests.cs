using System.Data.Common;
using Deploycast.Site.Model;
using Deploycast.Site.Storage;

namespace Deploycast.Site.Tests.Storage;

/// <summary>
/// What every <see cref="ISiteStore"/> must do, written once and run against each store by a subclass. Each test gets
/// a fresh, migrated database. Checks that do not trust the store read the database with plain SQL.
/// </summary>
public abstract partial class SiteStoreContractTests : IAsyncLifetime
{
    private readonly List<ISiteStore> _stores = [];

    /// <summary>A migrated store over this test's database.</summary>
    protected ISiteStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => CancellationToken.None;

    /// <summary>Prepares this test's database (empty).</summary>
    protected abstract Task CreateDatabaseAsync();

    /// <summary>Removes it.</summary>
    protected abstract Task DropDatabaseAsync();

    /// <summary>A new store over this test's database, as another server process would open it.</summary>
    private protected abstract ISiteStore CreateStore(IReadOnlyList<SchemaMigration>? migrations = null);

    /// <summary>A store over another, empty database.</summary>
    protected abstract Task<ISiteStore> CreateStoreOnEmptyDatabaseAsync();

    /// <summary>Runs SQL on this test's database without the store.</summary>
    protected abstract Task<object?> ExecuteScalarAsync(string sql);

    public async Task InitializeAsync()
    {
        await CreateDatabaseAsync();
        Store = Track(CreateStore());
        await Store.MigrateAsync(Ct);
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await DropDatabaseAsync();
    }

    protected ISiteStore Track(ISiteStore store)
    {
        _stores.Add(store);
        return store;
    }

    protected async Task<long> CountAsync(string sql) => Convert.ToInt64(await ExecuteScalarAsync(sql), System.Globalization.CultureInfo.InvariantCulture);

    // Schema

    [StoreFact]
    public async Task Migrate_OnAnEmptyDatabase_GoesFromVersionZeroToTheNewest()
    {
        var store = await CreateStoreOnEmptyDatabaseAsync();
        Assert.Equal(0, await store.GetSchemaVersionAsync(Ct));

        await store.MigrateAsync(Ct);

        Assert.Equal(SchemaMigrations.Latest, await store.GetSchemaVersionAsync(Ct));
        Assert.Equal(SchemaMigrations.Latest, await Store.GetSchemaVersionAsync(Ct));
    }

    [StoreFact]
    public async Task Migrate_TwiceAndFromASecondStore_ChangesNothing()
    {
        await Store.AddPackageAsync(NewPackage("DC100001"), Ct);

        await Store.MigrateAsync(Ct);
        var second = Track(CreateStore());
        await second.MigrateAsync(Ct);

        Assert.Equal(SchemaMigrations.Latest, await second.GetSchemaVersionAsync(Ct));
        Assert.Equal(SchemaMigrations.Latest, await CountAsync("SELECT COUNT(*) FROM schema_version"));
        Assert.NotNull(await second.GetPackageAsync("DC100001", Ct));
    }

    [StoreFact]
    public async Task Migrate_BySeveralServersAtOnce_AppliesEveryStepOnce()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => Track(CreateStore(WithExtraStep))).ToList();

        await Task.WhenAll(stores.Select(s => s.MigrateAsync(Ct)));

        Assert.Equal(WithExtraStep.Count, await stores[0].GetSchemaVersionAsync(Ct));
        Assert.Equal(WithExtraStep.Count, await CountAsync("SELECT COUNT(*) FROM schema_version"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM extra_table"));
    }

    [StoreFact]
    public async Task Migrate_WithANewStep_UpgradesAndKeepsTheData()
    {
        await Store.AddCollectionAsync(NewCollection("DC200001", "Lab"), Ct);
        var upgraded = Track(CreateStore(WithExtraStep));

        await upgraded.MigrateAsync(Ct);

        Assert.Equal(SchemaMigrations.Latest + 1, await upgraded.GetSchemaVersionAsync(Ct));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM extra_table"));
        Assert.Equal("Lab", (await upgraded.GetCollectionAsync("DC200001", Ct))?.Name);
    }

    [StoreFact]
    public async Task Migrate_AStepThatFails_LeavesTheVersionAndNoPartOfTheStep()
    {
        var failing = Track(CreateStore(
        [
            .. SchemaMigrations.All,
            new SchemaMigration(SchemaMigrations.Latest + 1, "fails half-way", "CREATE TABLE half_made (x integer); SELECT * FROM no_such_table"),
        ]));

        await Assert.ThrowsAnyAsync<DbException>(() => failing.MigrateAsync(Ct));

        Assert.Equal(SchemaMigrations.Latest, await Store.GetSchemaVersionAsync(Ct));
        await Assert.ThrowsAnyAsync<DbException>(() => ExecuteScalarAsync("SELECT COUNT(*) FROM half_made"));
    }

    [StoreFact]
    public async Task Migrate_ADatabaseNewerThanTheCode_StopsNamingBothVersions()
    {
        var newer = SchemaMigrations.Latest + 1;
        await ExecuteScalarAsync($"INSERT INTO schema_version (version, description, applied) VALUES ({newer}, 'from the future', 0)");
        var store = Track(CreateStore());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.MigrateAsync(Ct));

        Assert.Contains($"schema version {newer}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"versions up to {SchemaMigrations.Latest}", error.Message, StringComparison.Ordinal);
        Assert.Equal(newer, await store.GetSchemaVersionAsync(Ct));
    }

    private static IReadOnlyList<SchemaMigration> WithExtraStep { get; } =
        [.. SchemaMigrations.All, new SchemaMigration(SchemaMigrations.Latest + 1, "test step", "CREATE TABLE extra_table (x integer)")];

    // Settings and counters

    [StoreFact]
    public async Task Settings_SetReplaceAndTrySet()
    {
        Assert.Null(await Store.GetSettingAsync("ApprovalMode", Ct));

        await Store.SetSettingAsync("ApprovalMode", "Manual", Ct);
        await Store.SetSettingAsync("ApprovalMode", "Automatic", Ct);
        Assert.Equal("Automatic", await Store.GetSettingAsync("ApprovalMode", Ct));

        Assert.False(await Store.TrySetSettingAsync("ApprovalMode", "Manual", Ct));
        Assert.Equal("Automatic", await Store.GetSettingAsync("ApprovalMode", Ct));

        Assert.True(await Store.TrySetSettingAsync("AdminTokenHash", "abc", Ct));
        Assert.Equal("abc", await Store.GetSettingAsync("AdminTokenHash", Ct));
    }

    [StoreFact]
    public async Task NextNumber_CountsFromOnePerCounter()
    {
        Assert.Equal(1, await Store.NextNumberAsync("package", Ct));
        Assert.Equal(2, await Store.NextNumberAsync("package", Ct));
        Assert.Equal(1, await Store.NextNumberAsync("collection", Ct));
        Assert.Equal(3, await Store.NextNumberAsync("package", Ct));
    }

    [StoreFact]
    public async Task NextNumber_FromParallelTasksOnTwoStores_NeverRepeats()
    {
        var stores = new[] { Store, Track(CreateStore()) };

        var numbers = await Task.WhenAll(Enumerable.Range(0, 8).Select(task => Task.Run(async () =>
        {
            var mine = new List<long>();
            for (var i = 0; i < 50; i++)
            {
                mine.Add(await stores[task % 2].NextNumberAsync("deployment", Ct));
            }

            return mine;
        })));

        Assert.Equal(Enumerable.Range(1, 400).Select(n => (long)n), numbers.SelectMany(n => n).Order());
    }

    // Times

    /// <summary>A time with ticks below the microsecond and an offset that is not zero.</summary>
    protected static DateTimeOffset Time(int minutes = 0) =>
        new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.FromHours(2)).AddTicks(5_358_979).AddMinutes(minutes);

    /// <summary>Same instant to the tick, given back in UTC.</summary>
    protected static void AssertTime(DateTimeOffset expected, DateTimeOffset actual)
    {
        Assert.Equal(expected.UtcTicks, actual.UtcTicks);
        Assert.Equal(TimeSpan.Zero, actual.Offset);
    }

    protected static void AssertTime(DateTimeOffset? expected, DateTimeOffset? actual)
    {
        Assert.Equal(expected.HasValue, actual.HasValue);
        if (expected is { } e)
        {
            AssertTime(e, actual!.Value);
        }
    }

    protected static Package NewPackage(string id, string name = "Windows 11 23H2") =>
        new(id, name, null, ImageType.Wim, 1, AllowMulticast: true, EncryptMulticast: false, MulticastOnly: false, Time(), Time(1));

    protected static Collection NewCollection(string id, string name) => new(id, name, null, [], Time());
}
