using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Deploycast.Site.Storage;

/// <summary>
/// The site store in one SQLite file: WAL journal (readers never wait for the writer), a busy timeout (writers of
/// other connections and processes wait for each other instead of failing), foreign keys on (cascading deletes).
/// </summary>
internal sealed class SqliteSiteStore : SqlSiteStore
{
    private readonly string _path;
    private readonly string _connectionString;
    private readonly int _busyTimeoutMilliseconds;
    private int _walChecked;

    public SqliteSiteStore(string path, TimeSpan busyTimeout, ILogger logger, IReadOnlyList<SchemaMigration>? migrations = null)
        : base(logger, migrations)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _busyTimeoutMilliseconds = (int)Math.Min(int.MaxValue, busyTimeout.TotalMilliseconds);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = Math.Max(30, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        }.ToString();
        SiteStoreLog.Opened(Logger, DatabaseDescription);
    }

    public override string DatabaseDescription => $"SQLite {_path}";

    // INTEGER PRIMARY KEY is the rowid; AUTOINCREMENT keeps the numbers of deleted rows from coming back.
    protected override string IdentityColumn => "INTEGER PRIMARY KEY AUTOINCREMENT";

    // SQLite's default collation (BINARY) already compares bytes.
    protected override string KeyType => "text";

    protected override string SchemaVersionTableExistsSql => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";

    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // Per connection (a pooled one keeps them, setting them again costs nothing).
            await using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds}; PRAGMA foreign_keys = ON;");
                await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            // WAL is a property of the file: set once per store; the busy timeout above covers a concurrent first open.
            if (Volatile.Read(ref _walChecked) == 0)
            {
                await using var wal = connection.CreateCommand();
                wal.CommandText = "PRAGMA journal_mode = WAL";
                var mode = (string?)await wal.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? "";
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    SiteStoreLog.NotWal(Logger, _path, mode);
                }

                Volatile.Write(ref _walChecked, 1);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // BEGIN IMMEDIATE: take the write lock first, so a read-then-write transaction never fails with SQLITE_BUSY
    // half-way (a deferred one cannot wait for the lock once it has read).
    protected override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    // BEGIN (deferred): in WAL mode the snapshot starts at the first read and no lock blocks writers.
    protected override ValueTask<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    // BEGIN IMMEDIATE already holds the only write lock the file has.
    protected override Task LockSchemaAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    // SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555).
    protected override bool IsUniqueViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 2067 or 1555 };

    // SQLITE_CONSTRAINT_FOREIGNKEY.
    protected override bool IsForeignKeyViolation(DbException exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 787 };

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open; close them so the file can be moved, copied or deleted.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }
}
