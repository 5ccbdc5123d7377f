using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Deploycast.Site.Tests.Storage;

/// <summary>
/// A real PostgreSQL server for the store tests, one per test run (an xUnit collection fixture), with a fresh database
/// for the run and a fresh schema in it per test. Either the server named by the <c>DEPLOYCAST_TEST_POSTGRES</c> connection string (its role must be allowed
/// to create databases), or, when running as root with Debian's <c>postgresql</c> package installed, a throw-away server
/// in a temporary directory: initdb and pg_ctl run as the <c>postgres</c> user (PostgreSQL refuses root), it listens on
/// 127.0.0.1 and a free port, and it is stopped and deleted at the end.
/// </summary>
/// <remarks>
/// Without either, the PostgreSQL tests are skipped with <see cref="SkipReason"/>. With root and the binaries present
/// they are never skipped: a server that does not start fails every test, with the server's log in the message.
/// </remarks>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>The environment variable that names an existing server to test against.</summary>
    public const string EnvironmentVariable = "DEPLOYCAST_TEST_POSTGRES";

    private const string ServerUser = "postgres";

    private static readonly Lazy<string?> s_skipReason = new(FindSkipReason);

    private string? _directory;
    private string? _binDirectory;
    private NpgsqlDataSource? _admin;
    private string _connectionString = "";
    private string _database = "";
    private bool _started;
    private string _databaseConnectionString = "";

    /// <summary>Why the PostgreSQL tests cannot run here, or null when they run.</summary>
    public static string? SkipReason => s_skipReason.Value;

    /// <summary>How long starting the server took (zero for an external one).</summary>
    public TimeSpan StartTime { get; private set; }

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            _connectionString = external;
        }
        else
        {
            var started = Stopwatch.StartNew();
            await StartAsync().ConfigureAwait(false);
            StartTime = started.Elapsed;
        }

        // One database for the run, a schema per test in it.
        var database = "deploycast_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var server = NpgsqlDataSource.Create(_connectionString))
        await using (var create = server.CreateCommand($"CREATE DATABASE {database}"))
        {
            await create.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        _database = database;
        _databaseConnectionString = new NpgsqlConnectionStringBuilder(_connectionString) { Database = database }.ConnectionString;
        _admin = NpgsqlDataSource.Create(_databaseConnectionString);
    }

    /// <summary>
    /// Makes an empty schema in the test database and returns a connection string whose search path is that schema: to
    /// the store it is an empty database of its own. (A schema takes milliseconds; CREATE DATABASE takes a third of a
    /// second, which would make this class several times slower.)
    /// </summary>
    public async Task<string> CreateSchemaAsync()
    {
        var admin = _admin ?? throw new InvalidOperationException("The PostgreSQL test server is not running: " + SkipReason);
        var name = "test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var command = admin.CreateCommand($"CREATE SCHEMA {name}"))
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        return new NpgsqlConnectionStringBuilder(_databaseConnectionString) { SearchPath = name }.ConnectionString;
    }

    /// <summary>Drops a schema made by <see cref="CreateSchemaAsync"/> and everything in it.</summary>
    public async Task DropSchemaAsync(string connectionString)
    {
        if (_admin is null)
        {
            return;
        }

        var name = new NpgsqlConnectionStringBuilder(connectionString).SearchPath;
        await using var command = _admin.CreateCommand($"DROP SCHEMA IF EXISTS {name} CASCADE");
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync().ConfigureAwait(false);
            NpgsqlConnection.ClearAllPools();
            await using var server = NpgsqlDataSource.Create(_connectionString);
            await using var drop = server.CreateCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
            await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        if (_directory is null)
        {
            return;
        }

        try
        {
            if (_started)
            {
                await RunAsync(Pg("pg_ctl"), "-D", DataDirectory, "-m", "fast", "-w", "stop").ConfigureAwait(false);
            }
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string DataDirectory => Path.Combine(_directory!, "data");

    private string LogFile => Path.Combine(_directory!, "server.log");

    private static string? FindSkipReason()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable)))
        {
            return null;
        }

        if (FindBinDirectory() is null)
        {
            return $"PostgreSQL tests skipped: {EnvironmentVariable} is not set and there is no PostgreSQL server here " +
                   "(/usr/lib/postgresql/<version>/bin/initdb; Debian's postgresql package installs it).";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return $"PostgreSQL tests skipped: {EnvironmentVariable} is not set and a test server can only be started as root " +
                   "(initdb and pg_ctl run as the postgres user through runuser).";
        }

        return null;
    }

    private static string? FindBinDirectory()
    {
        const string Root = "/usr/lib/postgresql";
        if (File.Exists(Path.Combine(Root, "15", "bin", "initdb")))
        {
            return Path.Combine(Root, "15", "bin");
        }

        return Directory.Exists(Root)
            ? Directory.GetDirectories(Root)
                .Where(d => File.Exists(Path.Combine(d, "bin", "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault()
            : null;
    }

    private string Pg(string tool) => Path.Combine(_binDirectory!, tool);

    private async Task StartAsync()
    {
        _binDirectory = FindBinDirectory()!;

        // Under /tmp, not $TMPDIR: the postgres user must be able to reach the directory.
        _directory = Path.Combine("/tmp", "deploycast-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
        await RunAsync("chown", ServerUser + ":", _directory).ConfigureAwait(false);
        await RunAsync(Pg("initdb"), "-D", DataDirectory, "-A", "trust", "-U", ServerUser, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync").ConfigureAwait(false);

        // A free port can be taken between choosing and binding it: try a few.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var options = string.Create(CultureInfo.InvariantCulture,
                $"-k {_directory} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            try
            {
                await RunAsync(Pg("pg_ctl"), "-D", DataDirectory, "-l", LogFile, "-o", options, "-w", "-t", "60", "start").ConfigureAwait(false);
                _started = true;
                _connectionString = string.Create(CultureInfo.InvariantCulture,
                    $"Host=127.0.0.1;Port={port};Username={ServerUser};Database=postgres;Timeout=30;Command Timeout=120");
                return;
            }
            catch (InvalidOperationException e) when (attempt < 3 && ReadLog().Contains("Address already in use", StringComparison.Ordinal))
            {
                _ = e;
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException($"The PostgreSQL test server did not start ({e.Message}). Its log:\n{ReadLog()}", e);
            }
        }
    }

    private string ReadLog()
    {
        try
        {
            return File.ReadAllText(LogFile);
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a PostgreSQL tool as the postgres user (or another command as root); throws with its output when it fails.</summary>
    private async Task RunAsync(string file, params string[] arguments)
    {
        var asServer = file.StartsWith(_binDirectory ?? "/nonexistent", StringComparison.Ordinal);
        var start = new ProcessStartInfo(asServer ? "runuser" : file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory ?? "/tmp",
        };
        if (asServer)
        {
            foreach (var argument in (string[])["-u", ServerUser, "--", file])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error.ConfigureAwait(false)} {await output.ConfigureAwait(false)}".Trim());
        }
    }
}

/// <summary>The tests that share one <see cref="PostgresServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
