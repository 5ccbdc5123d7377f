using System.CommandLine;
using System.Net;
using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Transport;

namespace Deploycast.Cli.Commands;

/// <summary><c>deploycast send &lt;file&gt;</c>: multicast one file to every receiver that joins.</summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "the file to send" };
        var iface = CommonOptions.Interface();
        var group = CommonOptions.Group();
        var port = CommonOptions.Port();
        var key = CommonOptions.KeyFile();
        var rate = new Option<string?>("--rate", "-r")
        {
            Description = "rate ceiling in bits/s, e.g. 200M or 1G (default: none, the sender finds the bottleneck itself)",
        };
        rate.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string?>();
            if (text is not null && !RateParser.TryParse(text, out _))
            {
                result.AddError($"--rate: '{text}' is not a rate; use bits per second like 200M, 1G or 750k");
            }
        });
        var minReceivers = new Option<int>("--min-receivers", "-n")
        {
            Description = "receivers to wait for before sending (default 1)",
            DefaultValueFactory = _ => 1,
        };
        minReceivers.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--min-receivers: must be at least 1");
            }
        });
        var maxWait = new Option<double>("--max-wait", "-w")
        {
            Description = "seconds to wait for --min-receivers; then start with those that joined (default 10)",
            DefaultValueFactory = _ => 10,
        };
        maxWait.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is < 0 or > 86400)
            {
                result.AddError("--max-wait: must be between 0 and 86400 seconds");
            }
        });

        var verbose = new Option<bool>("--verbose", "-v") { Description = "print the rate and every receiver's state once a second" };
        var verboseInterval = new Option<int>("--verbose-interval")
        {
            Description = "milliseconds between --verbose lines (default 1000)",
            DefaultValueFactory = _ => 1000,
            Hidden = true,
        };
        var prepare = new Option<bool>("--prepare")
        {
            Description = "only hash the file and keep its manifest for the next send of it, then exit (as a distribution point imports content before anyone asks for it)",
        };
        var command = new Command("send", "Multicast a file to every receiver that joins; exits 0 when all of them have it, verified.")
        {
            file, iface, group, port, rate, minReceivers, maxWait, key, verbose, verboseInterval, prepare,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(file),
            result.GetRequiredValue(iface),
            new IPEndPoint(result.GetRequiredValue(group), result.GetValue(port)),
            result.GetValue(rate),
            result.GetValue(minReceivers),
            TimeSpan.FromSeconds(result.GetValue(maxWait)),
            result.GetValue(key),
            result.GetValue(verbose) ? TimeSpan.FromMilliseconds(Math.Max(50, result.GetValue(verboseInterval))) : null,
            result.GetValue(prepare),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo file, IPAddress iface, IPEndPoint group, string? rateText, int minReceivers, TimeSpan maxWait, FileInfo? keyFile, TimeSpan? verbose, bool prepareOnly, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            ConsoleOutput.Note($"error: {file.FullName} does not exist");
            return 2;
        }

        var keyBytes = CommonOptions.ReadKey(keyFile, out var keyError);
        if (keyError is not null)
        {
            ConsoleOutput.Note($"error: {keyError}");
            return 2;
        }

        long? rate = rateText is not null && RateParser.TryParse(rateText, out var parsed) ? parsed : null;
        var options = SenderOptions.Default with
        {
            MaxRate = rate,
            InitialRate = Math.Min(SenderOptions.Default.InitialRate, rate ?? long.MaxValue),
            MinRate = Math.Min(SenderOptions.Default.MinRate, rate ?? long.MaxValue),
            MinReceivers = minReceivers,
            MaxWait = maxWait,
            Key = keyBytes,
            Name = file.Name.Length <= 200 ? file.Name : file.Name[..200],
        };

        var hashed = 0L;
        var (hashedFile, fromCache) = await ConsoleOutput.WithProgressAsync(
            "Hashing",
            Task.Run(() => ManifestCache.LoadOrBuildAsync(file, SenderSession.BlockSizeFor(options), new Progress<long>(v => Volatile.Write(ref hashed, v)), cancellationToken), cancellationToken),
            () => ((double)Volatile.Read(ref hashed) / Math.Max(1, file.Length), $"Hashing {file.Name}")).ConfigureAwait(false);
        var manifest = hashedFile.Manifest;

        // Reads are checked against the checksums taken while hashing (a file changed since is caught either way).
        using var content = new FileSenderContent(file.FullName, hashedFile.BlockChecksums);
        if (prepareOnly)
        {
            Console.Out.WriteLine($"{(fromCache ? "Manifest already kept" : "Manifest made and kept")} for {file.Name} ({RateParser.FormatBytes(content.Length)}, {manifest.BlockCount} blocks, SHA-256 {Convert.ToHexStringLower(manifest.FileHash)}); the next send of it starts at once");
            return 0;
        }

        if (fromCache)
        {
            ConsoleOutput.Note($"  using the manifest made when {file.Name} was last sent (same size and modification time)");
        }

        using var session = new SenderSession(manifest, content, options);
        MulticastSender sender;
        try
        {
            sender = new MulticastSender(session, iface, group);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            ConsoleOutput.Note($"error: cannot send from {iface} to {group}: {e.Message}");
            return 1;
        }

        using (sender)
        {
            Console.Out.WriteLine($"Sending {file.Name} ({RateParser.FormatBytes(content.Length)}) to {group} from {sender.LocalEndPoint}, session {session.SessionId:x8}{(keyBytes is null ? string.Empty : ", encrypted")}");
            Console.Out.WriteLine($"Waiting for {minReceivers} receiver(s), at most {maxWait.TotalSeconds:0} s; rate {(rate is null ? "found automatically" : "at most " + RateParser.Format(rate.Value))}");
            sender.ReceiverEvent += e => ConsoleOutput.Note($"  {e.Detail}");
            var run = sender.RunAsync(cancellationToken);
            using var trace = verbose is { } period ? new Timer(_ => Trace(sender.Snapshot), null, period, period) : null;
            var summary = await ConsoleOutput.WithProgressAsync("Sending", run, () => Describe(sender.Snapshot)).ConfigureAwait(false);
            PrintSummary(summary);
            if (verbose is not null)
            {
                Console.Out.WriteLine($"Pacing: {RateParser.FormatBytes(session.PacingBytesForgone)} allowed but not sent in time (late wake-ups or nothing to send); {sender.LateLoops} late loop turns, longest gap {sender.LongestGap.TotalMilliseconds:0.0} ms, {sender.SendTime.TotalSeconds:0.00} s building and sending");
            }

            if (sender.SendErrors > 0)
            {
                Console.Out.WriteLine($"The local network stack refused {sender.SendErrors} send(s) (last error: {sender.LastSendError}); receivers recovered what they carried");
            }

            if (session.Failure is { } failure)
            {
                ManifestCache.Forget(file);
                ConsoleOutput.Note($"error: {failure}; the receivers were told the session failed");
                return 1;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                ConsoleOutput.Note("cancelled: the receivers were told the session ended");
                return 130;
            }

            if (!summary.AllReceiversComplete)
            {
                var missing = summary.Receivers.Where(r => r.CompletedAfter is null).Select(r => $"{r.ReceiverId:x8} ({r.State})");
                ConsoleOutput.Note($"error: not every receiver has the file: {string.Join(", ", missing)}");
                return 1;
            }

            return 0;
        }
    }

    private static void Trace(SenderSummary? s)
    {
        if (s is null)
        {
            return;
        }

        var receivers = string.Join("; ", s.Receivers.Select(r =>
            $"{r.ReceiverId:x8} {r.State} {100.0 * r.BlocksDone / Math.Max(1, r.TotalBlocks):0}% loss {r.RecentLoss:P1}/{r.LongRunLoss:P1} qd {r.QueueDelay.TotalMilliseconds:0.0}ms rx {RateParser.Format(r.RateBitsPerSecond)}{(r.Slow ? " slow" : string.Empty)}"));
        ConsoleOutput.Note($"[{s.Elapsed.TotalSeconds,6:0.00}s] rate {RateParser.Format(s.RateBitsPerSecond)} cuts {s.RateDecreases} sent {RateParser.FormatBytes(s.BytesOnWire)} repairs {s.RepairSymbolsSent} | {receivers}");
    }

    private static (double, string) Describe(SenderSummary? summary)
    {
        if (summary is null || summary.Receivers.Count == 0)
        {
            return (0, "Waiting for receivers");
        }

        var active = summary.Receivers.Where(r => r.CompletedAfter is null && r.State is "joining" or "receiving").ToArray();
        var slowest = active.Length == 0 ? 1 : active.Min(r => (double)r.BlocksDone / Math.Max(1, r.TotalBlocks));
        return (slowest, $"{summary.Receivers.Count} receiver(s), {summary.Receivers.Count(r => r.CompletedAfter is not null)} done, {RateParser.Format(summary.RateBitsPerSecond)}");
    }

    private static void PrintSummary(SenderSummary s)
    {
        var seconds = Math.Max(s.Elapsed.TotalSeconds, 1e-9);
        Console.Out.WriteLine(s.AllReceiversComplete
            ? $"Time {s.Elapsed.TotalSeconds:0.00} s, goodput {s.FileSize / seconds / 1e6:0.0} MB/s ({RateParser.Format(s.FileSize * 8 / seconds)})"
            : $"Time {s.Elapsed.TotalSeconds:0.00} s; the session ended before every receiver had the file, so there is no goodput to report");
        Console.Out.WriteLine($"On the wire {RateParser.FormatBytes(s.BytesOnWire)} for {RateParser.FormatBytes(s.FileSize)} ({(s.FileSize > 0 ? (double)s.BytesOnWire / s.FileSize : 0):0.000}x), {s.DatagramsSent} datagrams");
        Console.Out.WriteLine($"Symbols: {s.DataSymbolsSent} source, {s.ParitySymbolsSent} proactive parity, {s.RepairSymbolsSent} repair; {s.StatusPacketsReceived} status packets; final rate {RateParser.Format(s.RateBitsPerSecond)}");
        foreach (var r in s.Receivers)
        {
            var done = r.CompletedAfter is { } after ? $"done in {after.TotalSeconds:0.00} s" : r.State;
            Console.Out.WriteLine($"  receiver {r.ReceiverId:x8}: {done}, loss {r.LongRunLoss:P2}{(r.Slow ? ", slow" : string.Empty)}{(r.RoundTrip is { } rtt ? $", rtt {rtt.TotalMilliseconds:0.0} ms" : string.Empty)}");
        }
    }
}
