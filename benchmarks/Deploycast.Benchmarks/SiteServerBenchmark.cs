using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Deploycast.Site.Management;
using Deploycast.Site.Model;
using Deploycast.Site.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Deploycast.Benchmarks;

/// <summary>
/// The site server's management operations on a site sized like a large one, on SQLite and (with <c>--postgres</c>)
/// PostgreSQL in the same run, phase by phase so the two stores see the same machine load. Builds the site through
/// <see cref="SiteManager"/> (devices imported in batches, collections, task sequences, deployments; packages, DPs and
/// distribution status go straight into the store, as a content import would leave them), then measures: device
/// import, registration of known and unknown computers (concurrent agents), policy for one device, status ingestion
/// (concurrent agents), and a deployment summary of a 1,000-device collection. A last pass counts and times the store
/// calls each operation makes (<see cref="StoreCallProfile"/>). Prints Markdown tables.
/// Usage: <c>site [--postgres CONNECTION_STRING] [--no-sqlite] [--sqlite-dir DIR] [--devices 5000] [--collections 200]
/// [--packages 20] [--task-sequences 50] [--deployments 100] [--batch 250] [--unknown 500] [--policy-samples 500]
/// [--status 4000] [--concurrency 8] [--summary-runs 20] [--profile-samples 100] [--seed 1] [--repeat 1]</c>.
/// <c>--sqlite-dir</c> may be given more than once (a disk and a tmpfs, to see what the disk's flushes cost); each
/// repetition builds every site afresh, and the table gives medians. With <c>--postgres</c> the run uses a new schema in that database (dropped at the end), so it leaves nothing behind;
/// SQLite uses a new directory under <c>--sqlite-dir</c> (default the temporary directory), deleted at the end.
/// </summary>
internal static class SiteServerBenchmark
{
    // SQLite directories of this run, removed on Ctrl-C or SIGTERM too (the process then ends without running finally blocks).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> s_directories = new(StringComparer.Ordinal);

    public static void Run(string[] args)
    {
        void RemoveDirectories(PosixSignalContext context)
        {
            foreach (var directory in s_directories.Keys)
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, RemoveDirectories);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RemoveDirectories);
        RunAsync(args).GetAwaiter().GetResult();
    }

    private sealed class Options
    {
        public string? Postgres;
        public List<string> SqliteDirectories = [];
        public bool Sqlite = true;
        public int Devices = 5000, Collections = 200, Packages = 20, TaskSequences = 50, Deployments = 100;
        public int Batch = 250, Unknown = 500, PolicySamples = 500, Status = 4000, Concurrency = 8, SummaryRuns = 20, ProfileSamples = 100, Seed = 1, Repeat = 1;
    }

    /// <summary>One store under test and the site built on it, for one repetition.</summary>
    private sealed class Target
    {
        public required string Label;
        public required ISiteStore Store;
        public required SiteManager Site;
        public required Func<Task> Cleanup;
        public long[] DeviceIds = [];
        public Device[] Devices = [];
        public string[] CollectionIds = [];
        public string[] BuildingDeployments = [];
        public readonly Dictionary<string, double> Values = new(StringComparer.Ordinal);
        public readonly List<string> Notes = [];
    }

    private static async Task RunAsync(string[] args)
    {
        var options = Parse(args);
        var scenario = new SiteScenario(options.Devices, options.Collections, options.Packages, options.TaskSequences, options.Deployments, options.Seed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Site: {options.Devices:N0} devices, {scenario.Collections.Length} collections (+2 built-in), {options.Packages} packages, " +
            $"{options.TaskSequences} task sequences, {options.Deployments} deployments; {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
            $"seed {options.Seed}, {options.Repeat} repetition(s)"));
        var total = Stopwatch.StartNew();
        var openers = new List<Func<Task<Target>>>();
        if (options.Sqlite)
        {
            var directories = options.SqliteDirectories.Count > 0 ? options.SqliteDirectories : [Path.GetTempPath()];
            foreach (var directory in directories)
            {
                var label = directories.Count == 1 ? "SQLite" : $"SQLite ({Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))})";
                openers.Add(() => OpenSqliteAsync(label, directory));
            }
        }

        if (options.Postgres is not null)
        {
            openers.Add(() => OpenPostgresAsync(options.Postgres));
        }

        if (openers.Count == 0)
        {
            throw new ArgumentException("nothing to measure: --no-sqlite without --postgres");
        }

        var runs = new List<Target[]>();
        for (var repetition = 1; repetition <= options.Repeat; repetition++)
        {
            Console.WriteLine($"\nRepetition {repetition} of {options.Repeat}");
            var targets = new List<Target>();
            try
            {
                foreach (var open in openers)
                {
                    targets.Add(await open().ConfigureAwait(false));
                }

                // Each phase runs on every store before the next phase, so the stores are compared under the same load.
                foreach (var target in targets)
                {
                    await BuildAsync(target, scenario, options).ConfigureAwait(false);
                }

                foreach (var target in targets)
                {
                    await RegisterAsync(target, scenario, options).ConfigureAwait(false);
                }

                foreach (var target in targets)
                {
                    await PolicyAsync(target, options).ConfigureAwait(false);
                }

                foreach (var target in targets)
                {
                    await StatusAsync(target, options).ConfigureAwait(false);
                }

                foreach (var target in targets)
                {
                    await SummaryAsync(target, options).ConfigureAwait(false);
                }

                runs.Add(targets.ToArray());
                if (repetition == options.Repeat)
                {
                    PrintTable(runs, options);
                    foreach (var target in targets)
                    {
                        await ProfileAsync(target, scenario, options).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                foreach (var target in targets)
                {
                    await target.Cleanup().ConfigureAwait(false);
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\nWhole run: {total.Elapsed.TotalSeconds:F0} s"));
    }

    private static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture) is var v and > 0 ? v : throw new ArgumentException($"{args[i - 1]} must be 1 or more");
            switch (args[i])
            {
                case "--postgres": o.Postgres = Next(); break;
                case "--no-sqlite": o.Sqlite = false; break;
                case "--sqlite-dir": o.SqliteDirectories.Add(Next()); break;
                case "--devices": o.Devices = Int(); break;
                case "--collections": o.Collections = Int(); break;
                case "--packages": o.Packages = Int(); break;
                case "--task-sequences": o.TaskSequences = Int(); break;
                case "--deployments": o.Deployments = Int(); break;
                case "--batch": o.Batch = Int(); break;
                case "--unknown": o.Unknown = Int(); break;
                case "--policy-samples": o.PolicySamples = Int(); break;
                case "--status": o.Status = Int(); break;
                case "--concurrency": o.Concurrency = Int(); break;
                case "--summary-runs": o.SummaryRuns = Int(); break;
                case "--profile-samples": o.ProfileSamples = Int(); break;
                case "--seed": o.Seed = Int(); break;
                case "--repeat": o.Repeat = Int(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        if (o.Devices < SiteScenario.DevicesPerBuilding * 2)
        {
            throw new ArgumentException($"--devices must be at least {SiteScenario.DevicesPerBuilding * 2}: the summary measures building 1's {SiteScenario.DevicesPerBuilding} devices");
        }

        if (o.Deployments < o.Devices / SiteScenario.DevicesPerBuilding + 1)
        {
            throw new ArgumentException("--deployments must cover one per building plus one to All Systems");
        }

        return o;
    }

    private static async Task<Target> OpenSqliteAsync(string label, string parent)
    {
        var directory = Path.Combine(Path.GetFullPath(parent), "deploycast-site-bench-" + Guid.NewGuid().ToString("N")[..8]);
        s_directories[directory] = true;
        var store = SiteStore.Open(new SiteStoreOptions { DataDirectory = directory });
        var target = await CreateTargetAsync(label, store, async () =>
        {
            await store.DisposeAsync().ConfigureAwait(false);
            Directory.Delete(directory, recursive: true);
            s_directories.TryRemove(directory, out _);
        }).ConfigureAwait(false);

        // What the store's connections run with (it sets journal_mode and busy_timeout, not synchronous).
        var file = Path.Combine(directory, SiteStoreOptions.SqliteFileName);
        await using var connection = new SqliteConnection($"Data Source={file}");
        await connection.OpenAsync().ConfigureAwait(false);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "SELECT sqlite_version(), (SELECT journal_mode FROM pragma_journal_mode), (SELECT synchronous FROM pragma_synchronous)";
        await using var reader = await pragma.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        Console.WriteLine($"{label}: SQLite {reader.GetString(0)}, journal_mode={reader.GetString(1)}, synchronous={reader.GetInt64(2)} (2 = FULL, 1 = NORMAL), {file}");
        return target;
    }

    private static async Task<Target> OpenPostgresAsync(string connectionString)
    {
        // A schema of its own in the given database: the run starts empty and leaves nothing behind.
        var schema = "deploycast_bench_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = NpgsqlDataSource.Create(connectionString))
        {
            await using (var create = admin.CreateCommand($"CREATE SCHEMA {schema}"))
            {
                await create.ExecuteNonQueryAsync().ConfigureAwait(false);
            }

            await using var settings = admin.CreateCommand(
                "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('shared_buffers')");
            await using var reader = await settings.ExecuteReaderAsync().ConfigureAwait(false);
            await reader.ReadAsync().ConfigureAwait(false);
            var host = new NpgsqlConnectionStringBuilder(connectionString);
            Console.WriteLine($"PostgreSQL {reader.GetString(0)} on {host.Host}:{host.Port}: fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}, " +
                $"shared_buffers={reader.GetString(3)}, schema {schema}");
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema };
        var store = SiteStore.Open(new SiteStoreOptions { ConnectionString = builder.ConnectionString });
        return await CreateTargetAsync("PostgreSQL", store, async () =>
        {
            await store.DisposeAsync().ConfigureAwait(false);
            await using var admin = NpgsqlDataSource.Create(connectionString);
            await using var drop = admin.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private static async Task<Target> CreateTargetAsync(string label, ISiteStore store, Func<Task> cleanup)
    {
        var site = new SiteManager(store, new SiteOptions(), distributor: null, inspector: null, TimeProvider.System, NullLogger<SiteManager>.Instance);
        await site.InitializeAsync(CancellationToken.None).ConfigureAwait(false);
        return new Target { Label = label, Store = store, Site = site, Cleanup = cleanup };
    }

    private static async Task BuildAsync(Target target, SiteScenario scenario, Options options)
    {
        var ct = CancellationToken.None;
        var site = target.Site;
        var store = target.Store;

        // Device import: the admin's CSV import, in batches.
        var ids = new List<long>(scenario.DeviceCount);
        var batchRates = new List<double>();
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < scenario.Devices.Length; i += options.Batch)
        {
            var batch = scenario.Devices.Skip(i).Take(options.Batch).Select(d => d with { IPv4Address = null }).ToList();
            var batchStarted = Stopwatch.GetTimestamp();
            var result = await site.ImportDevicesAsync(batch, ct).ConfigureAwait(false);
            batchRates.Add(batch.Count / Stopwatch.GetElapsedTime(batchStarted).TotalSeconds);
            ids.AddRange(result.DeviceIds);
        }

        var import = stopwatch.Elapsed;
        target.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"import batches: {string.Join(", ", batchRates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} devices/s"));
        Console.WriteLine(target.Notes[^1]);
        target.DeviceIds = ids.ToArray();
        target.Values["import"] = scenario.DeviceCount / import.TotalSeconds;

        // Packages as a content import leaves them: one version each, installed on one to three DPs.
        var now = DateTimeOffset.UtcNow;
        string[] dps = ["dp1", "dp2", "dp3"];
        foreach (var (dp, n) in dps.Select((d, n) => (d, n)))
        {
            await store.SaveDistributionPointAsync(
                new DistributionPointRecord(dp, new Uri($"https://198.18.0.{n + 1}:8443/"), new string((char)('a' + n), 64), n == 0, now, now), ct).ConfigureAwait(false);
        }

        foreach (var (id, n) in scenario.PackageIds.Select((p, n) => (p, n)))
        {
            var package = new Package(id, $"Image {id}", null, ImageType.Raw, 1, AllowMulticast: n % 4 != 3, EncryptMulticast: n % 5 == 0, MulticastOnly: false, now, now);
            await store.AddPackageAsync(package, ct).ConfigureAwait(false);
            await store.AddPackageVersionAsync(new PackageVersion(id, 1, Convert.ToHexStringLower(BitConverter.GetBytes((long)n)).PadLeft(64, '0'), 8L << 30, "/images/" + id, null, now), ct)
                .ConfigureAwait(false);
            for (var d = 0; d <= n % dps.Length; d++)
            {
                await store.SaveDistributionStatusAsync(new DistributionStatus(id, 1, dps[d], DistributionState.Installed, null, now), ct).ConfigureAwait(false);
            }
        }

        var sequences = new List<string>();
        foreach (var definition in scenario.TaskSequences)
        {
            sequences.Add((await site.CreateTaskSequenceAsync(definition, ct).ConfigureAwait(false)).Id);
        }

        stopwatch.Restart();
        var collections = new List<string>();
        foreach (var (name, rules, members, _) in scenario.Collections)
        {
            var collection = await site.CreateCollectionAsync(
                new CollectionDefinition(name, null, rules, members.Select(m => target.DeviceIds[m]).ToArray()), ct).ConfigureAwait(false);
            collections.Add(collection.Id);
        }

        target.CollectionIds = collections.ToArray();
        target.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"{collections.Count} collections created in {stopwatch.Elapsed.TotalSeconds:F1} s"));

        // Deployments: one to each building (the summary reads building 1's), one available to All Systems, the rest to
        // the other collections, a third of them required.
        var random = new Random(scenario.Seed + 1);
        var buildingDeployments = new List<string>();
        for (var n = 0; n < scenario.DeploymentCount; n++)
        {
            var collection = n < scenario.Buildings ? collections[n]
                : n == scenario.Buildings ? Identifiers.AllSystems
                : collections[scenario.Buildings + random.Next(collections.Count - scenario.Buildings)];
            var purpose = n < scenario.Buildings || random.Next(3) == 0 ? DeploymentPurpose.Required : DeploymentPurpose.Available;
            var deployment = await site.DeployAsync(new DeploymentDefinition(sequences[random.Next(sequences.Count)], collection, purpose), ct).ConfigureAwait(false);
            if (n < scenario.Buildings)
            {
                buildingDeployments.Add(deployment.Id);
            }
        }

        target.BuildingDeployments = buildingDeployments.ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target.Label}: site built; import {scenario.DeviceCount / import.TotalSeconds:F0} devices/s"));
    }

    private static async Task RegisterAsync(Target target, SiteScenario scenario, Options options)
    {
        // Every imported computer's agent registers (this gives each its IPv4 address, which the subnet rules need),
        // then unknown computers register for the first time. Agents run concurrently.
        var address = IPAddress.Parse("198.18.0.1");
        var known = await TimeConcurrentAsync(scenario.DeviceCount, options.Concurrency,
            i => target.Site.RegisterDeviceAsync(scenario.Devices[i], address, CancellationToken.None)).ConfigureAwait(false);
        target.Values["register-known"] = scenario.DeviceCount / known.TotalSeconds;
        var unknown = await TimeConcurrentAsync(options.Unknown, options.Concurrency,
            i => target.Site.RegisterDeviceAsync(UnknownComputer(i), address, CancellationToken.None)).ConfigureAwait(false);
        target.Values["register-unknown"] = options.Unknown / unknown.TotalSeconds;

        var devices = new Device[target.DeviceIds.Length];
        for (var i = 0; i < devices.Length; i++)
        {
            devices[i] = await target.Store.GetDeviceAsync(target.DeviceIds[i], CancellationToken.None).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"device {target.DeviceIds[i]} is missing");
        }

        target.Devices = devices;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.Label}: registration {scenario.DeviceCount / known.TotalSeconds:F0} known, {options.Unknown / unknown.TotalSeconds:F0} unknown devices/s"));
    }

    private static DeviceEntry UnknownComputer(int i) =>
        new(string.Create(CultureInfo.InvariantCulture, $"MININT-{i:D5}"), [string.Create(CultureInfo.InvariantCulture, $"02:dc:00:00:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}")]);

    private static async Task PolicyAsync(Target target, Options options)
    {
        var random = new Random(options.Seed + 2);
        var sample = Enumerable.Range(0, options.PolicySamples).Select(_ => target.Devices[random.Next(target.Devices.Length)]).ToArray();
        for (var i = 0; i < 20; i++)
        {
            await target.Site.GetPolicyAsync(sample[i % sample.Length], CancellationToken.None).ConfigureAwait(false);
        }

        var times = new double[sample.Length];
        long deployments = 0;
        for (var i = 0; i < sample.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var policy = await target.Site.GetPolicyAsync(sample[i], CancellationToken.None).ConfigureAwait(false);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            deployments += policy.Deployments.Count;
        }

        Array.Sort(times);
        target.Values["policy-p50"] = Percentile(times, 50);
        target.Values["policy-p95"] = Percentile(times, 95);
        target.Values["policy-p99"] = Percentile(times, 99);
        target.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"policy: {(double)deployments / sample.Length:F1} deployments per device on average"));
        Console.WriteLine($"{target.Label}: policy {Latencies(times, 50, 95, 99)}");
    }

    private static async Task StatusAsync(Target target, Options options)
    {
        // Agents report progress on their building's deployment: mostly in progress, then success, some errors.
        var random = new Random(options.Seed + 3);
        var messages = Enumerable.Range(0, options.Status).Select(i =>
        {
            var device = random.Next(target.Devices.Length);
            var roll = random.Next(10);
            var state = roll < 6 ? DeploymentState.InProgress : roll < 9 ? DeploymentState.Success : DeploymentState.Error;
            var status = new AgentStatus(target.BuildingDeployments[device / SiteScenario.DevicesPerBuilding], 11140 + roll, StatusSeverity.Informational,
                "TaskSequence", $"Step 2 of 4: Apply OS ({roll * 10}%)", Step: 1, StepName: "Apply OS", Progress: roll * 10, State: state);
            return (Device: target.Devices[device], Status: status);
        }).ToArray();
        var elapsed = await TimeConcurrentAsync(messages.Length, options.Concurrency,
            i => target.Site.ReportAgentStatusAsync(messages[i].Device, messages[i].Status, CancellationToken.None)).ConfigureAwait(false);
        target.Values["status"] = messages.Length / elapsed.TotalSeconds;
        Console.WriteLine($"{target.Label}: status {Rate(messages.Length / elapsed.TotalSeconds, "messages/s")}");
    }

    private static async Task SummaryAsync(Target target, Options options)
    {
        var deployment = target.BuildingDeployments[1];
        var summary = await target.Site.GetDeploymentSummaryAsync(deployment, CancellationToken.None).ConfigureAwait(false);
        await target.Site.GetDeploymentSummaryAsync(deployment, CancellationToken.None).ConfigureAwait(false);
        var times = new double[options.SummaryRuns];
        for (var i = 0; i < times.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await target.Site.GetDeploymentSummaryAsync(deployment, CancellationToken.None).ConfigureAwait(false);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(times);
        target.Values["summary-p50"] = Percentile(times, 50);
        target.Values["summary-p95"] = Percentile(times, 95);
        target.Notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"summary: {summary.Targeted} devices ({summary.Success} success, {summary.InProgress} in progress, {summary.Error} error, {summary.Unknown} unknown)"));
        Console.WriteLine($"{target.Label}: summary {Latencies(times, 50, 95)}");
    }

    /// <summary>The same operations one at a time through a counting proxy: which store calls each makes, and their time.</summary>
    private static async Task ProfileAsync(Target target, SiteScenario scenario, Options options)
    {
        var ct = CancellationToken.None;
        var (store, profile) = StoreCallProfile.Wrap(target.Store);
        var site = new SiteManager(store, new SiteOptions(), distributor: null, inspector: null, TimeProvider.System, NullLogger<SiteManager>.Instance);
        var random = new Random(options.Seed + 4);
        var n = options.ProfileSamples;
        Console.WriteLine($"\n### {target.Label}: store calls per operation (one at a time, {n} samples; the summary {Math.Max(3, n / 20)})\n");

        var sample = Enumerable.Range(0, n).Select(_ => target.Devices[random.Next(target.Devices.Length)]).ToArray();
        await ProfileOneAsync("GetPolicyAsync", n, profile, i => site.GetPolicyAsync(sample[i], ct)).ConfigureAwait(false);

        var summaries = Math.Max(3, n / 20);
        await ProfileOneAsync("GetDeploymentSummaryAsync (1,000 devices)", summaries, profile,
            _ => site.GetDeploymentSummaryAsync(target.BuildingDeployments[1], ct)).ConfigureAwait(false);

        await ProfileOneAsync("ReportAgentStatusAsync", n, profile, i => site.ReportAgentStatusAsync(
            sample[i], new AgentStatus(target.BuildingDeployments[Array.IndexOf(target.Devices, sample[i]) / SiteScenario.DevicesPerBuilding], 11140,
                StatusSeverity.Informational, "TaskSequence", "Step 2 of 4", Step: 1, Progress: 50), ct)).ConfigureAwait(false);

        await ProfileOneAsync("RegisterDeviceAsync (known)", n, profile, i => site.RegisterDeviceAsync(
            scenario.Devices[Array.IndexOf(target.Devices, sample[i])], IPAddress.Loopback, ct)).ConfigureAwait(false);

        await ProfileOneAsync("ImportDevicesAsync (per new device)", 1, profile, _ => site.ImportDevicesAsync(
            Enumerable.Range(0, n).Select(i => new DeviceEntry(string.Create(CultureInfo.InvariantCulture, $"NEW-{i:D5}"),
                [string.Create(CultureInfo.InvariantCulture, $"02:dd:00:00:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}")])).ToList(), ct), perItem: n).ConfigureAwait(false);

        // What the manager does in memory with what the store returned: rule evaluation, by the kind of collection.
        var collections = (await target.Store.ListCollectionsAsync(Page.All, ct).ConfigureAwait(false)).Items;
        var all = (await target.Store.ListDevicesAsync(Page.All, ct).ConfigureAwait(false)).Items;
        var building = collections.First(c => string.Equals(c.Id, target.CollectionIds[1], StringComparison.OrdinalIgnoreCase));
        string KindOf(Collection c) => c.Rules.Count == 0 ? "no rules (built-in or direct members only)"
            : c.Rules.Select(r => r.Kind).Distinct().Count() > 1 ? "several rule kinds" : c.Rules[0].Kind.ToString();
        var groups = collections.GroupBy(KindOf).ToArray();
        var defaultCacheSize = Regex.CacheSize;
        // Each setting twice, the first pass unprinted: it warms the JIT (and, at 1,024, fills the cache).
        foreach (var (cacheSize, print) in new[] { (defaultCacheSize, false), (defaultCacheSize, true), (1024, false), (1024, true) })
        {
            // Regex.CacheSize is process-wide: raising it here shows what keeping each collection's pattern compiled would save.
            Regex.CacheSize = cacheSize;
            var perKind = new List<string>();
            var totalTicks = 0L;
            foreach (var group in groups)
            {
                var started = Stopwatch.GetTimestamp();
                foreach (var device in sample)
                {
                    foreach (var collection in group)
                    {
                        SiteManager.IsMember(collection, device, directMember: false);
                    }
                }

                var ticks = Stopwatch.GetTimestamp() - started;
                totalTicks += ticks;
                perKind.Add(string.Create(CultureInfo.InvariantCulture, $"{group.Key} ({group.Count()}) {ticks * 1000.0 / Stopwatch.Frequency / sample.Length:F3} ms"));
            }

            var scan = Stopwatch.GetTimestamp();
            var members = all.Count(d => SiteManager.IsMember(building, d, directMember: false));
            var scanMs = Stopwatch.GetElapsedTime(scan).TotalMilliseconds;
            if (!print)
            {
                continue;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"In memory, Regex.CacheSize {cacheSize}: one device against all {collections.Count} collections' rules " +
                $"{totalTicks * 1000.0 / Stopwatch.Frequency / sample.Length:F3} ms ({string.Join("; ", perKind)}); " +
                $"building 1's name pattern against all {all.Count:N0} devices {scanMs:F2} ms ({members} match)."));
        }

        Regex.CacheSize = defaultCacheSize;
    }

    private static async Task ProfileOneAsync<T>(string operation, int count, StoreCallProfile profile, Func<int, Task<T>> run, int perItem = 1)
    {
        profile.Reset();
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await run(i).ConfigureAwait(false);
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var per = (double)count * perItem;
        var calls = profile.Snapshot();
        var storeTime = calls.Sum(c => c.Time.TotalMilliseconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"**{operation}**: {elapsed / per:F2} ms each, {calls.Sum(c => c.Calls) / per:F1} store calls; " +
            $"{storeTime / per:F2} ms in the store, {(elapsed - storeTime) / per:F2} ms outside it\n"));
        Console.WriteLine("| store call | calls each | ms each | share of the operation |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (method, n, time) in calls)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {method} | {n / per:0.##} | {time.TotalMilliseconds / per:F3} | {100 * time.TotalMilliseconds / elapsed:F0}% |"));
        }

        Console.WriteLine();
    }

    private static async Task<TimeSpan> TimeConcurrentAsync<T>(int count, int concurrency, Func<int, Task<T>> operation)
    {
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await operation(i).ConfigureAwait(false);
            }
        }))).ConfigureAwait(false);
        return stopwatch.Elapsed;
    }

    /// <summary>Medians over the repetitions; the ratio columns compare every store with the first, as time per
    /// operation (above 1: slower than the first), median of the per-repetition ratios.</summary>
    private static void PrintTable(List<Target[]> runs, Options options)
    {
        (string Label, string[] Keys, bool IsRate, string Unit)[] rows =
        [
            ($"device import (`ImportDevicesAsync`, batches of {options.Batch})", ["import"], true, "devices/s"),
            ($"registration of an imported computer (`RegisterDeviceAsync`, {options.Concurrency} tasks)", ["register-known"], true, "devices/s"),
            ($"registration of an unknown computer (`RegisterDeviceAsync`, {options.Concurrency} tasks)", ["register-unknown"], true, "devices/s"),
            ($"policy for one device (`GetPolicyAsync`, {options.PolicySamples} devices) p50 / p95 / p99", ["policy-p50", "policy-p95", "policy-p99"], false, "ms"),
            ($"status ingestion (`ReportAgentStatusAsync`, {options.Concurrency} tasks)", ["status"], true, "messages/s"),
            ($"deployment summary, 1,000-device collection (`GetDeploymentSummaryAsync`, {options.SummaryRuns} runs) p50 / p95", ["summary-p50", "summary-p95"], false, "ms"),
        ];
        var labels = runs[0].Select(t => t.Label).ToArray();
        double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }

        Console.WriteLine(runs.Count == 1 ? "\n" : $"\nMedians of {runs.Count} repetitions:\n");
        Console.WriteLine("| measure | " + string.Join(" | ", labels) + string.Concat(labels.Skip(1).Select(l => $" | {l} ÷ {labels[0]}, time")) + " |");
        Console.WriteLine("|---|" + string.Concat(labels.Select(_ => "---:|")) + string.Concat(labels.Skip(1).Select(_ => "---:|")));
        foreach (var (label, keys, isRate, unit) in rows)
        {
            var cells = new List<string>();
            for (var t = 0; t < labels.Length; t++)
            {
                var values = keys.Select(k => Median(runs.Select(r => r[t].Values[k]))).ToArray();
                cells.Add(isRate ? Rate(values[0], unit) : string.Join(" / ", values.Select(FormatMs)) + " ms");
            }

            for (var t = 1; t < labels.Length; t++)
            {
                var ratios = runs.Select(r => isRate ? r[0].Values[keys[0]] / r[t].Values[keys[0]] : r[t].Values[keys[0]] / r[0].Values[keys[0]]).ToArray();
                cells.Add(string.Create(CultureInfo.InvariantCulture, $"**{Median(ratios):F2}×**")
                    + (ratios.Length > 1 ? " (" + string.Join(", ", ratios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture))) + ")" : ""));
            }

            Console.WriteLine($"| {label} | {string.Join(" | ", cells)} |");
        }

        Console.WriteLine();
        foreach (var target in runs[^1])
        {
            Console.WriteLine($"{target.Label}: {string.Join("; ", target.Notes)}");
        }
    }

    private static string Rate(double value, string unit) => string.Create(CultureInfo.InvariantCulture, $"{value:N0} {unit}");

    private static string Latencies(double[] sorted, params int[] percentiles) =>
        string.Join(" / ", percentiles.Select(p => FormatMs(Percentile(sorted, p)))) + " ms";

    private static string FormatMs(double ms) => ms.ToString(ms < 10 ? "F2" : ms < 100 ? "F1" : "F0", CultureInfo.InvariantCulture);

    private static double Percentile(double[] sorted, int percentile) =>
        sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
