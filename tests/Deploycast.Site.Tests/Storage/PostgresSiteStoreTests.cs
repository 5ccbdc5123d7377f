using Deploycast.Site.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Deploycast.Site.Tests.Storage;

/// <summary>The contract against a real PostgreSQL server (see <see cref="PostgresServer"/>): an empty schema per test (in one database), which the store sees through its search path.</summary>
[Collection(PostgresCollection.Name)]
[RequiresPostgres]
public sealed class PostgresSiteStoreTests(PostgresServer server) : SiteStoreContractTests
{
    private readonly List<string> _schemas = [];
    private string _connectionString = "";

    protected override async Task CreateDatabaseAsync()
    {
        _connectionString = await server.CreateSchemaAsync();
        _schemas.Add(_connectionString);
    }

    protected override async Task DropDatabaseAsync()
    {
        foreach (var schema in _schemas)
        {
            await server.DropSchemaAsync(schema);
        }
    }

    private protected override ISiteStore CreateStore(IReadOnlyList<SchemaMigration>? migrations = null) =>
        migrations is null
            ? SiteStore.Open(new SiteStoreOptions { ConnectionString = _connectionString })
            : new PostgresSiteStore(_connectionString, NullLogger.Instance, migrations: migrations);

    protected override async Task<ISiteStore> CreateStoreOnEmptyDatabaseAsync()
    {
        var other = await server.CreateSchemaAsync();
        _schemas.Add(other);
        return Track(new PostgresSiteStore(other, NullLogger.Instance));
    }

    protected override async Task<object?> ExecuteScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [PostgresFact]
    public async Task Open_WithConnectionString_MigratesThatDatabase_WithBytewiseKeys()
    {
        Assert.Equal(SchemaMigrations.Latest, Convert.ToInt32(await ExecuteScalarAsync("SELECT MAX(version) FROM schema_version"), System.Globalization.CultureInfo.InvariantCulture));

        // Keys compare byte by byte, so lists come in the same order as from SQLite whatever the database's locale.
        Assert.Equal("C", await ExecuteScalarAsync(
            "SELECT collation_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'collections' AND column_name = 'id_key'"));
    }

    [PostgresFact]
    public async Task Migrate_WaitsForAnotherServerHoldingTheSchemaLock()
    {
        var store = Track(CreateStore(
            [.. SchemaMigrations.All, new SchemaMigration(SchemaMigrations.Latest + 1, "after the lock", "CREATE TABLE after_lock (x integer)")]));
        await using var other = new NpgsqlConnection(_connectionString + ";Pooling=false");
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var lockIt = new NpgsqlCommand("SELECT pg_advisory_xact_lock(x'4443534348454D41'::bigint)", other, transaction))
        {
            await lockIt.ExecuteNonQueryAsync();
        }

        var migrating = store.MigrateAsync(Ct);
        await Task.Delay(300);
        Assert.False(migrating.IsCompleted, "the migration did not wait for the schema lock");

        await transaction.CommitAsync();
        await migrating.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(SchemaMigrations.Latest + 1, await store.GetSchemaVersionAsync(Ct));
    }
}
