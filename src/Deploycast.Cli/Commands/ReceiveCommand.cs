using System.CommandLine;
using System.Net;
using Deploycast.Multicast.Receiving;
using Deploycast.Multicast.Storage;
using Deploycast.Multicast.Transport;

namespace Deploycast.Cli.Commands;

/// <summary><c>deploycast receive --output &lt;path&gt;</c>: join a session and write its file, verified.</summary>
internal static class ReceiveCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--output", "-o") { Description = "where to write the file (a partial one is resumed)", Required = true };
        var iface = CommonOptions.Interface();
        var group = CommonOptions.Group();
        var port = CommonOptions.Port();
        var key = CommonOptions.KeyFile();
        var timeout = new Option<double>("--timeout")
        {
            Description = "seconds without hearing the sender before giving up (default 15)",
            DefaultValueFactory = _ => 15,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "print packet counts, drops by reason, how far block writing ran behind at the end and the final check's duration" };
        var command = new Command("receive", "Join a multicast session and write its file; exits 0 only with the whole file written and verified.")
        {
            output, iface, group, port, key, timeout, verbose,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(output),
            result.GetRequiredValue(iface),
            new IPEndPoint(result.GetRequiredValue(group), result.GetValue(port)),
            result.GetValue(key),
            TimeSpan.FromSeconds(Math.Max(1, result.GetValue(timeout))),
            result.GetValue(verbose),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo output, IPAddress iface, IPEndPoint group, FileInfo? keyFile, TimeSpan timeout, bool verbose, CancellationToken cancellationToken)
    {
        var keyBytes = CommonOptions.ReadKey(keyFile, out var keyError);
        if (keyError is not null)
        {
            ConsoleOutput.Note($"error: {keyError}");
            return 2;
        }

        if (Directory.Exists(output.FullName))
        {
            ConsoleOutput.Note($"error: --output: {output.FullName} is a directory; give a file path");
            return 2;
        }

        var options = ReceiverOptions.Default with { Key = keyBytes, SenderTimeout = timeout };
        using var store = new FileReceiverStore(output.FullName);
        using var session = new ReceiverSession(store, options);
        MulticastReceiver receiver;
        try
        {
            receiver = new MulticastReceiver(session, iface, group);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            ConsoleOutput.Note($"error: cannot join {group} on {iface}: {e.Message}");
            return 1;
        }

        ReceiverResult result;
        long receiveCalls, merged;
        using (receiver)
        {
            Console.Out.WriteLine($"Joining {group} on {iface}, writing {output.FullName}");
            result = await ConsoleOutput.WithProgressAsync("Receiving", receiver.RunAsync(cancellationToken), () => Describe(receiver.Progress)).ConfigureAwait(false);
            receiveCalls = receiver.ReceiveCalls;
            merged = receiver.MergedMessages;
        }

        if (result.Succeeded)
        {
            var seconds = Math.Max(result.Elapsed.TotalSeconds, 1e-9);
            var fetched = result.FileSize - result.BytesResumed;
            Console.Out.WriteLine($"Received and verified {RateParser.FormatBytes(result.FileSize)} in {result.Elapsed.TotalSeconds:0.00} s ({fetched / seconds / 1e6:0.0} MB/s), loss {result.Loss:P2}{(result.BytesResumed > 0 ? $", resumed with {RateParser.FormatBytes(result.BytesResumed)} already verified" : string.Empty)}");
            if (verbose)
            {
                var drops = string.Join(", ", result.Drops.Select(d => $"{d.Key} {d.Value}"));
                Console.Out.WriteLine($"Packets {result.PacketsReceived} in {receiveCalls} receive calls ({merged} merged messages), unneeded symbols {result.UnneededSymbols}, last block written {result.WriteBehind.TotalMilliseconds:0} ms after its last symbol, final check {result.VerifyTime.TotalMilliseconds:0} ms, dropped: {(drops.Length == 0 ? "none" : drops)}");
            }

            if (result.CorruptBlocks > 0)
            {
                Console.Out.WriteLine($"{result.CorruptBlocks} block(s) failed their hash and were received again");
            }

            return 0;
        }

        ConsoleOutput.Note($"error: {result.Failure}");
        if (File.Exists(BlockMapFile.PathFor(output.FullName)))
        {
            ConsoleOutput.Note($"the partial file and its block map are kept; run the same command again to resume");
        }

        return cancellationToken.IsCancellationRequested ? 130 : 1;
    }

    private static (double, string) Describe(ReceiverProgress? p)
    {
        if (p is null || !p.Joined)
        {
            return (0, "Waiting for a sender");
        }

        if (p.Verifying)
        {
            return (1, $"Verifying {p.Name}");
        }

        var fraction = p.FileSize == 0 ? 0 : (double)p.BytesDone / p.FileSize;
        var state = p.Transferring ? $"{RateParser.FormatBytes(p.BytesDone)} of {RateParser.FormatBytes(p.FileSize)}, loss {p.Loss:P1}" : "joined, waiting for the start";
        return (fraction, $"{p.Name}: {state}");
    }
}
