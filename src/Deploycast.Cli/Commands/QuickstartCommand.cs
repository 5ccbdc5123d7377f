using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Deploycast.Agent;
using Deploycast.DistributionPoint.Hosting;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.Server;
using Deploycast.Site.Management;
using Deploycast.Site.Model;
using Microsoft.Extensions.DependencyInjection;

namespace Deploycast.Cli.Commands;

/// <summary>
/// <c>deploycast quickstart</c>: the whole system on the embedded defaults, on this machine only. It starts a server
/// (SQLite, loopback), makes a sample OS image, imports it with multicast allowed, deploys a one-step task sequence to a
/// collection of N local agents as required, runs the agents, shows each one's progress, checks every result and prints
/// what multicast saved. Exit 0 only when every agent succeeded and every copy is byte-equal to the image.
/// </summary>
internal static class QuickstartCommand
{
    public static Command Create()
    {
        var clients = new Option<int>("--clients", "-n") { Description = "how many local agents (computers) to image (default 4)", DefaultValueFactory = _ => 4 };
        clients.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 32)
            {
                r.AddError("--clients: give 1 to 32");
            }
        });
        var size = new Option<int>("--size") { Description = "size of the sample image's data in MiB (default 96)", DefaultValueFactory = _ => 96 };
        size.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 16_384)
            {
                r.AddError("--size: give 1 to 16384 MiB");
            }
        });
        var dataDir = new Option<DirectoryInfo?>("--data-dir", "-d") { Description = "keep everything here (default: a temporary directory, removed at the end)" };
        var keep = new Option<bool>("--keep") { Description = "keep the server running after the deployment until Ctrl+C (to look at the web console)" };
        var command = new Command("quickstart", "Run a whole multicast deployment on this machine: server, sample image, task sequence, collection, deployment and local agents.")
        {
            clients, size, dataDir, keep,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetValue(clients), result.GetValue(size), result.GetValue(dataDir), result.GetValue(keep), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int clients, int sizeMib, DirectoryInfo? dataDir, bool keep, CancellationToken cancellationToken)
    {
        var temporary = dataDir is null;
        var root = dataDir?.FullName ?? Directory.CreateTempSubdirectory("deploycast-quickstart-").FullName;
        Directory.CreateDirectory(root);
        try
        {
            return await RunInAsync(root, clients, sizeMib, keep, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("Stopped.");
            return 130;
        }
        finally
        {
            if (temporary)
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort: a temporary directory left behind is harmless.
                }
            }
        }
    }

    private static async Task<int> RunInAsync(string root, int clients, int sizeMib, bool keep, CancellationToken cancellationToken)
    {
        var admin = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var app = ServerHost.Build(
            new ServerOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                DataDirectory = Path.Combine(root, "server"),
                Settings = new Dictionary<string, string?> { ["DistributionPoint:AdminToken"] = admin },
            },
            _ => { });
        await using var _ = app.ConfigureAwait(false);
        var started = await ServerHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
        var site = app.Services.GetRequiredService<SiteManager>();
        var role = app.Services.GetRequiredService<DistributionPointRole>();
        Console.WriteLine($"Server: {started.Url} (certificate {started.CertificateFingerprint[..16]}..., multicast on {started.Multicast.Interface}, data in {root})");

        var image = await MakeImageAsync(root, sizeMib, cancellationToken).ConfigureAwait(false);
        var imageSize = new FileInfo(image).Length;
        var package = await site.ImportPackageAsync(new PackageImport("Quickstart OS image", image, "A sample ext4 disk image", ImageType.Raw, AllowMulticast: true), cancellationToken).ConfigureAwait(false);
        var devices = Enumerable.Range(1, clients).Select(i => new DeviceEntry($"QS-PC-{i:D2}", [Mac(i)])).ToList();
        var imported = await site.ImportDevicesAsync(devices, cancellationToken).ConfigureAwait(false);
        var collection = await site.CreateCollectionAsync(new CollectionDefinition("Quickstart lab", "The quickstart's local agents", Members: imported.DeviceIds), cancellationToken).ConfigureAwait(false);
        var sequence = await site.CreateTaskSequenceAsync(new TaskSequenceDefinition("Image the quickstart lab", Steps:
        [
            new TaskSequenceStep("Apply Operating System Image", StepType.ApplyOperatingSystemImage,
                new Dictionary<string, string> { ["package"] = package.Id, ["destination"] = "%_DCDataDirectory%/disk.img" }),
        ]), cancellationToken).ConfigureAwait(false);
        var deployment = await site.DeployAsync(new DeploymentDefinition(sequence.Id, collection.Id, DeploymentPurpose.Required), cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"Package {package.Id} ({imageSize / 1048576.0:F0} MiB, multicast allowed), task sequence {sequence.Id}, collection {collection.Id} of {clients}, required deployment {deployment.Id}.");
        Console.WriteLine($"Web console: {started.Url} (sign in with the administrator token {admin})");

        var watch = Stopwatch.StartNew();
        var agents = Enumerable.Range(1, clients).Select(i => RunAgentAsync(i, AgentRunner.RunAsync(
            new AgentOptions
            {
                Server = started.Url,
                Fingerprint = started.CertificateFingerprint,
                DataDirectory = AgentDirectory(root, i),
                DeviceName = $"qs-pc-{i:D2}",
                MacAddresses = [Mac(i)],
                Once = true,
            },
            console: null,
            cancellationToken))).ToArray();
        var all = Task.WhenAll(agents);
        while (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken)).ConfigureAwait(false) != all)
        {
            await ShowProgressAsync(site, deployment.Id, watch.Elapsed, cancellationToken).ConfigureAwait(false);
        }

        var exits = await all.ConfigureAwait(false);
        var elapsed = watch.Elapsed;
        await ShowProgressAsync(site, deployment.Id, elapsed, cancellationToken).ConfigureAwait(false);

        // Check every copy against the image with the agents' own verification aside: byte for byte.
        var expected = await HashAsync(image, cancellationToken).ConfigureAwait(false);
        var good = 0;
        for (var i = 1; i <= clients; i++)
        {
            var copy = Path.Combine(AgentDirectory(root, i), "disk.img");
            var ok = exits[i - 1] == AgentExitCodes.Success && File.Exists(copy) && (await HashAsync(copy, cancellationToken).ConfigureAwait(false)).SequenceEqual(expected);
            good += ok ? 1 : 0;
            if (!ok)
            {
                Console.WriteLine($"  qs-pc-{i:D2}: FAILED (agent exit {exits[i - 1]}); see {Path.Combine(AgentDirectory(root, i), "deploycast-agent.log")}");
            }
        }

        var wire = role.Scheduler.GetSessions().Where(s => s.PackageId == package.Id).Sum(s => s.BytesOnWire);
        var summary = await site.GetDeploymentSummaryAsync(deployment.Id, cancellationToken).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine($"Deployment {deployment.Id}: {summary.Success} succeeded, {summary.InProgress} in progress, {summary.Error} failed, {summary.Unknown} unknown, in {elapsed.TotalSeconds:F1} s.");
        Console.WriteLine($"Every copy byte-equal to the image: {good} of {clients}.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Goodput per computer: {imageSize / elapsed.TotalSeconds / 1e6:F1} MB/s ({imageSize / 1048576.0:F0} MiB each, {clients} at once)."));
        if (wire > 0)
        {
            var unicast = imageSize * clients;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"The DP sent {wire / 1e6:F1} MB by multicast for {clients} computers; unicast would have sent {unicast / 1e6:F1} MB ({(1 - (double)wire / unicast) * 100:F0}% saved; all-zero blocks are never sent)."));
        }

        if (keep)
        {
            Console.WriteLine($"The server keeps running at {started.Url} until Ctrl+C.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: stop as asked.
            }
        }

        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        return good == clients ? 0 : 1;
    }

    /// <summary>An agent that throws counts as failed with its message; the others go on and the summary is printed.</summary>
    private static async Task<int> RunAgentAsync(int number, Task<int> agent)
    {
        try
        {
            return await agent.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.WriteLine($"  qs-pc-{number:D2}: the agent stopped with an error: {e.Message}");
            return AgentExitCodes.Failed;
        }
    }

    private static async Task ShowProgressAsync(SiteManager site, string deploymentId, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var summary = await site.GetDeploymentSummaryAsync(deploymentId, cancellationToken).ConfigureAwait(false);
        var parts = summary.Devices.Select(d => d.State is null
            ? $"{d.DeviceName}: waiting"
            : d.State.State == DeploymentState.InProgress ? $"{d.DeviceName}: {d.State.Progress ?? 0}%" : $"{d.DeviceName}: {d.State.State}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{elapsed.TotalSeconds,5:F1} s] {string.Join("  ", parts)}"));
    }

    /// <summary>An ext4 disk image made by mkfs.ext4 -d from a generated tree when e2fsprogs is here, else a raw image
    /// of random data with zero regions.</summary>
    private static async Task<string> MakeImageAsync(string root, int sizeMib, CancellationToken cancellationToken)
    {
        var image = Path.Combine(root, "quickstart-os.img");
        var tree = Path.Combine(root, "image-tree");
        var random = new Random(20261121);
        Directory.CreateDirectory(Path.Combine(tree, "boot"));
        Directory.CreateDirectory(Path.Combine(tree, "usr", "lib"));
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        var chunk = new byte[1 << 20];
        await using (var big = File.Create(Path.Combine(tree, "usr", "lib", "system.pack")))
        {
            for (var i = 0; i < sizeMib; i++)
            {
                random.NextBytes(chunk);
                await big.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
        }

        await File.WriteAllTextAsync(Path.Combine(tree, "etc", "hostname"), "quickstart\n", cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(tree, "boot", "README"), "Made by deploycast quickstart.\n", cancellationToken).ConfigureAwait(false);
        var megabytes = (sizeMib * 5 / 4) + 16;
        try
        {
            using var mkfs = Process.Start(new ProcessStartInfo("mkfs.ext4", ["-q", "-F", "-d", tree, image, $"{megabytes}M"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            await mkfs.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (mkfs.ExitCode == 0)
            {
                Console.WriteLine($"Sample image: an ext4 disk image of {megabytes} MiB made by mkfs.ext4 -d ({sizeMib} MiB of files).");
                return image;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No e2fsprogs here: fall back to a generated raw image.
        }

        await using (var raw = File.Create(image))
        {
            for (var i = 0; i < megabytes; i++)
            {
                if (i % 4 == 3)
                {
                    Array.Clear(chunk);
                }
                else
                {
                    random.NextBytes(chunk);
                }

                await raw.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
        }

        Console.WriteLine($"Sample image: a generated raw image of {megabytes} MiB (install e2fsprogs for a real ext4 image).");
        return image;
    }

    private static async Task<byte[]> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false);
    }

    private static string AgentDirectory(string root, int i) => Path.Combine(root, $"agent-{i:D2}");

    private static string Mac(int i) => string.Create(CultureInfo.InvariantCulture, $"02:dc:00:00:00:{i:x2}");
}
