using System.Data.Common;
using System.Globalization;
using Deploycast.Site.Model;
using Microsoft.Extensions.Logging;

namespace Deploycast.Site.Storage;

/// <summary>
/// The site store over ADO.NET, written once for SQLite and PostgreSQL: both speak the SQL used here (<c>INSERT ...
/// ON CONFLICT ... DO UPDATE</c>, <c>RETURNING</c>, <c>LIMIT/OFFSET</c>, named parameters). A subclass supplies only what
/// differs: how to open a connection, two DDL spellings, how the schema is locked while it changes, and which errors
/// are unique and foreign-key violations. Split by concern into <c>SqlSiteStore.*.cs</c>.
/// </summary>
internal abstract partial class SqlSiteStore : ISiteStore
{
    private readonly IReadOnlyList<SchemaMigration> _migrations;

    /// <param name="logger">Where the store logs.</param>
    /// <param name="migrations">The schema steps; tests pass their own to exercise upgrades.</param>
    protected SqlSiteStore(ILogger logger, IReadOnlyList<SchemaMigration>? migrations)
    {
        Logger = logger;
        _migrations = migrations ?? SchemaMigrations.All;
        for (var i = 0; i < _migrations.Count; i++)
        {
            if (_migrations[i].Version != i + 1)
            {
                throw new ArgumentException($"Schema step {i} has version {_migrations[i].Version}; steps must be numbered 1, 2, 3, ...", nameof(migrations));
            }
        }
    }

    /// <summary>The database, for messages and the log (never with a password).</summary>
    public abstract string DatabaseDescription { get; }

    /// <summary>The newest schema version this store knows.</summary>
    public int CodeSchemaVersion => _migrations.Count;

    protected ILogger Logger { get; }

    /// <summary>DDL of an auto-numbered <c>bigint</c> primary key whose numbers are never reused.</summary>
    protected abstract string IdentityColumn { get; }

    /// <summary>DDL type of text that compares and orders byte by byte.</summary>
    protected abstract string KeyType { get; }

    /// <summary>A query that returns 1 when the <c>schema_version</c> table exists, else 0.</summary>
    protected abstract string SchemaVersionTableExistsSql { get; }

    /// <summary>An open connection, ready to use (pragmas set).</summary>
    protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>A transaction that will write: SQLite takes the write lock at once (BEGIN IMMEDIATE), so two writers
    /// never deadlock upgrading read locks.</summary>
    protected virtual ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection.BeginTransactionAsync(cancellationToken);

    /// <summary>A transaction that only reads, so a page and its total come from one snapshot.</summary>
    protected abstract ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Makes other servers' migrations wait until <paramref name="transaction"/> ends.</summary>
    protected abstract Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    protected abstract bool IsUniqueViolation(DbException exception);

    protected abstract bool IsForeignKeyViolation(DbException exception);

    public abstract ValueTask DisposeAsync();

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        // One transaction per step, each taking the schema lock and reading the version again: when several servers
        // start at once, one applies a step and the others find it done.
        while (true)
        {
            await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
            await LockSchemaAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction,
                "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, description text NOT NULL, applied bigint NOT NULL)",
                cancellationToken).ConfigureAwait(false);
            var version = await ReadSchemaVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            if (version > CodeSchemaVersion)
            {
                SiteStoreLog.SchemaTooNew(Logger, version, CodeSchemaVersion);
                throw new InvalidOperationException(
                    $"The site database ({DatabaseDescription}) is at schema version {version}, but this Deploycast knows versions up to " +
                    $"{CodeSchemaVersion}: a newer Deploycast has upgraded it. Run that newer version (or restore a backup made before the upgrade).");
            }

            if (version == CodeSchemaVersion)
            {
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                SiteStoreLog.SchemaCurrent(Logger, version);
                return;
            }

            var step = _migrations[version];
            await ExecuteAsync(connection, transaction, step.Sql.Replace("{identity}", IdentityColumn, StringComparison.Ordinal).Replace("{key}", KeyType, StringComparison.Ordinal), cancellationToken)
                .ConfigureAwait(false);
            await using (var record = Command(connection, transaction,
                "INSERT INTO schema_version (version, description, applied) VALUES (@version, @description, @applied)"))
            {
                record.With("@version", step.Version).With("@description", step.Description).With("@applied", DateTimeOffset.UtcNow);
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            SiteStoreLog.MigrationApplied(Logger, step.Version, step.Description);
        }
    }

    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadSchemaVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> NextNumberAsync(string counter, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(counter);

        // One statement: the row lock (PostgreSQL) or the write lock (SQLite) makes it atomic across processes.
        return await ScalarAsync<long>(
            """
            INSERT INTO counters (name, value) VALUES (@name, 1)
            ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
            RETURNING value
            """,
            c => c.With("@name", counter), cancellationToken).ConfigureAwait(false);
    }

    public Task<string?> GetSettingAsync(string name, CancellationToken cancellationToken) =>
        QuerySingleAsync("SELECT value FROM settings WHERE name = @name", c => c.With("@name", name), r => r.GetString(0), cancellationToken);

    public Task SetSettingAsync(string name, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        return ExecuteAsync(
            "INSERT INTO settings (name, value) VALUES (@name, @value) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            c => c.With("@name", name).With("@value", value), cancellationToken);
    }

    public async Task<bool> TrySetSettingAsync(string name, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        return await ExecuteAsync(
            "INSERT INTO settings (name, value) VALUES (@name, @value) ON CONFLICT (name) DO NOTHING",
            c => c.With("@name", name).With("@value", value), cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<bool> DeleteSettingAsync(string name, CancellationToken cancellationToken) =>
        await ExecuteAsync("DELETE FROM settings WHERE name = @name", c => c.With("@name", name), cancellationToken).ConfigureAwait(false) == 1;

    public async Task<IReadOnlyList<KeyValuePair<string, string>>> ListSettingsAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);

        // A range on the byte-wise key instead of LIKE: a prefix may hold '_' or '%', and the range uses the primary key.
        return await QueryAsync(
            "SELECT name, value FROM settings WHERE name >= @from AND name < @to ORDER BY name",
            c => c.With("@from", prefix).With("@to", prefix + '\uffff'),
            r => new KeyValuePair<string, string>(r.GetString(0), r.GetString(1)), cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ReadSchemaVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        await using (var exists = Command(connection, transaction, SchemaVersionTableExistsSql))
        {
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
            {
                return 0;
            }
        }

        await using var command = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    // Plumbing: every call opens a pooled connection, runs, and gives it back.

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ExecuteAsync(string sql, Action<DbCommand> bind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, sql);
        bind(command);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> ScalarAsync<T>(string sql, Action<DbCommand> bind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, sql);
        bind(command);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return (T)Convert.ChangeType(value!, typeof(T), CultureInfo.InvariantCulture);
    }

    private async Task<T?> QuerySingleAsync<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, T> read, CancellationToken cancellationToken)
        where T : class
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, sql);
        bind(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? read(reader) : null;
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(connection, null, sql, bind, read, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<T>> QueryAsync<T>(
        DbConnection connection, DbTransaction? transaction, string sql, Action<DbCommand> bind, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        bind(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(read(reader));
        }

        return items;
    }

    /// <summary>One page of <c>SELECT {columns} {fromWhere} ORDER BY {orderBy}</c> and the count of all rows.</summary>
    private async Task<PagedResult<T>> QueryPageAsync<T>(
        string columns, string fromWhere, string orderBy, Action<DbCommand> bind, Func<DbDataReader, T> read, Page page, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(page.Skip, nameof(page));
        ArgumentOutOfRangeException.ThrowIfLessThan(page.Take, 1, nameof(page));

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // One transaction, so the count and the page come from one snapshot on PostgreSQL too.
        await using var transaction = await BeginReadAsync(connection, cancellationToken).ConfigureAwait(false);
        long total;
        await using (var count = Command(connection, transaction, "SELECT COUNT(*) " + fromWhere))
        {
            bind(count);
            total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        var items = await QueryAsync(
            connection, transaction, $"SELECT {columns} {fromWhere} ORDER BY {orderBy} LIMIT @take OFFSET @skip",
            c => bind(c.With("@take", page.Take).With("@skip", page.Skip)), read, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new PagedResult<T>(items, total);
    }

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it.</summary>
    private async Task<T> InWriteTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        var result = await work(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Runs a write and turns a broken constraint into a <see cref="SiteStoreConflictException"/>. The messages are
    /// made after the failure (a unique violation may need a look-up to say which key clashed), on a fresh connection,
    /// because PostgreSQL refuses further statements in the failed transaction.
    /// </summary>
    private async Task<T> WriteAsync<T>(
        Func<Task<T>> write, Func<Task<string>>? duplicate, Func<Task<string>>? missing)
    {
        try
        {
            return await write().ConfigureAwait(false);
        }
        catch (DbException e) when (duplicate is not null && IsUniqueViolation(e))
        {
            throw new SiteStoreConflictException(await duplicate().ConfigureAwait(false), e);
        }
        catch (DbException e) when (missing is not null && IsForeignKeyViolation(e))
        {
            throw new SiteStoreConflictException(await missing().ConfigureAwait(false), e);
        }
    }

    private async Task<bool> ExistsAsync(string sql, Action<DbCommand> bind, CancellationToken cancellationToken) =>
        await ScalarAsync<long>($"SELECT COUNT(*) FROM ({sql}) AS found", bind, cancellationToken).ConfigureAwait(false) > 0;
}
