using System.Text.Json;
using System.Text.Json.Serialization;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Microsoft.Data.Sqlite;

namespace Deploycast.DistributionPoint.Storage;

/// <summary>
/// The distribution point's state in one SQLite file. Each call opens a pooled connection, so the store is safe from
/// any thread; writes are short and WAL lets readers run beside them.
/// </summary>
public sealed class SqliteDistributionPointStore : IDistributionPointStore
{
    private const int SchemaVersion = 1;
    private const int StatusKept = 10_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly string _connectionString;

    public SqliteDistributionPointStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        Migrate();
    }

    private void Migrate()
    {
        using var connection = Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL;";
            pragma.ExecuteNonQuery();
        }

        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException($"the distribution point database has schema version {version}, newer than this program's {SchemaVersion}; run a newer deploycast");
        }

        if (version < 1)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, """
                CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE packages (
                    package_id TEXT NOT NULL COLLATE NOCASE,
                    version INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    content_id TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    allow_multicast INTEGER NOT NULL,
                    encrypt_multicast INTEGER NOT NULL,
                    multicast_only INTEGER NOT NULL,
                    added TEXT NOT NULL,
                    PRIMARY KEY (package_id, version));
                CREATE TABLE status_messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    message_id INTEGER NOT NULL,
                    component TEXT NOT NULL,
                    description TEXT NOT NULL,
                    session_key TEXT,
                    client_id TEXT);
                PRAGMA user_version = 1;
                """, transaction);
            transaction.Commit();
        }
    }

    public MulticastSettings? LoadSettings()
    {
        using var connection = Open();
        var json = Scalar(connection, "SELECT value FROM settings WHERE name = 'multicast';") as string;
        return json is null ? null : JsonSerializer.Deserialize<MulticastSettings>(json, Json);
    }

    public void SaveSettings(MulticastSettings settings)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO settings (name, value) VALUES ('multicast', $value) ON CONFLICT(name) DO UPDATE SET value = excluded.value;";
        command.Parameters.AddWithValue("$value", JsonSerializer.Serialize(settings, Json));
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<DistributionPointPackage> ListPackages()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT package_id, version, name, content_id, size, allow_multicast, encrypt_multicast, multicast_only, added FROM packages ORDER BY package_id, version;";
        return ReadPackages(command);
    }

    public DistributionPointPackage? GetPackage(string packageId, int version)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT package_id, version, name, content_id, size, allow_multicast, encrypt_multicast, multicast_only, added FROM packages WHERE package_id = $id AND version = $version;";
        command.Parameters.AddWithValue("$id", packageId);
        command.Parameters.AddWithValue("$version", version);
        return ReadPackages(command).SingleOrDefault();
    }

    public bool DeletePackage(string packageId, int version)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM packages WHERE package_id = $id AND version = $version;";
        command.Parameters.AddWithValue("$id", packageId);
        command.Parameters.AddWithValue("$version", version);
        return command.ExecuteNonQuery() > 0;
    }

    public void SavePackage(DistributionPointPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO packages (package_id, version, name, content_id, size, allow_multicast, encrypt_multicast, multicast_only, added)
            VALUES ($id, $version, $name, $content, $size, $allow, $encrypt, $only, $added)
            ON CONFLICT(package_id, version) DO UPDATE SET name = excluded.name, content_id = excluded.content_id, size = excluded.size,
                allow_multicast = excluded.allow_multicast, encrypt_multicast = excluded.encrypt_multicast, multicast_only = excluded.multicast_only;
            """;
        command.Parameters.AddWithValue("$id", package.PackageId);
        command.Parameters.AddWithValue("$version", package.Version);
        command.Parameters.AddWithValue("$name", package.Name);
        command.Parameters.AddWithValue("$content", package.ContentId);
        command.Parameters.AddWithValue("$size", package.Size);
        command.Parameters.AddWithValue("$allow", package.AllowMulticast);
        command.Parameters.AddWithValue("$encrypt", package.EncryptMulticast);
        command.Parameters.AddWithValue("$only", package.MulticastOnly);
        command.Parameters.AddWithValue("$added", package.Added.ToString("O"));
        command.ExecuteNonQuery();
    }

    public void AddStatus(DistributionPointStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO status_messages (time, severity, message_id, component, description, session_key, client_id)
            VALUES ($time, $severity, $message, $component, $description, $session, $client);
            DELETE FROM status_messages WHERE id <= (SELECT MAX(id) FROM status_messages) - $kept;
            """;
        command.Parameters.AddWithValue("$time", status.Time.ToString("O"));
        command.Parameters.AddWithValue("$severity", status.Severity);
        command.Parameters.AddWithValue("$message", status.MessageId);
        command.Parameters.AddWithValue("$component", status.Component);
        command.Parameters.AddWithValue("$description", status.Description);
        command.Parameters.AddWithValue("$session", (object?)status.SessionKey ?? DBNull.Value);
        command.Parameters.AddWithValue("$client", (object?)status.ClientId ?? DBNull.Value);
        command.Parameters.AddWithValue("$kept", StatusKept);
        command.ExecuteNonQuery();
    }

    public IReadOnlyList<DistributionPointStatus> RecentStatus(int limit)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT time, severity, message_id, component, description, session_key, client_id FROM status_messages ORDER BY id DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", Math.Clamp(limit, 1, StatusKept));
        using var reader = command.ExecuteReader();
        var list = new List<DistributionPointStatus>();
        while (reader.Read())
        {
            list.Add(new DistributionPointStatus(
                DateTimeOffset.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture),
                reader.GetString(1),
                reader.GetInt32(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return list;
    }

    public string? GetSecret(string name)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM secrets WHERE name = $name;";
        command.Parameters.AddWithValue("$name", name);
        return command.ExecuteScalar() as string;
    }

    public void SetSecret(string name, string value)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO secrets (name, value) VALUES ($name, $value) ON CONFLICT(name) DO UPDATE SET value = excluded.value;";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    private static List<DistributionPointPackage> ReadPackages(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var list = new List<DistributionPointPackage>();
        while (reader.Read())
        {
            list.Add(new DistributionPointPackage(
                reader.GetString(0),
                reader.GetInt32(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetInt64(4),
                reader.GetBoolean(5),
                reader.GetBoolean(6),
                reader.GetBoolean(7),
                DateTimeOffset.Parse(reader.GetString(8), System.Globalization.CultureInfo.InvariantCulture)));
        }

        return list;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 5000;";
        command.ExecuteNonQuery();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
