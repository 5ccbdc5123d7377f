using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Deploycast.Multicast.Storage;
using Xunit.Abstractions;

namespace Deploycast.IntegrationTests;

/// <summary>The lab tests share the machine's two cores: they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class NetworkLabCollection
{
    public const string Name = "network lab";
}

/// <summary>
/// <c>deploycast send</c> / <c>receive</c> between hosts of the network lab (lab/netlab.sh): many receivers with loss,
/// a receiver killed and restarted, a late joiner, garbage datagrams. Needs root; elsewhere each test prints why it
/// did not run and passes (CI runs as root).
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed partial class NetworkLabTransferTests(ITestOutputHelper output)
{
    private const string Group = "239.255.42.1";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task EightReceivers_At200MbitWithOnePercentLossAndOneAtFivePercent_AllByteEqual()
    {
        if (Skip())
        {
            return;
        }

        using var files = new TempDirectory();
        var source = files.RandomFile("image.raw", 24 << 20, seed: 8);
        await using var lab = NetworkLab.Start(8, output, "--rate", "200mbit", "--loss-permille", "10,10,10,10,10,10,10,50");
        var receivers = Enumerable.Range(1, 8).Select(i => StartReceiver(lab, i, files.File($"rcv{i}.raw"))).ToArray();
        var sender = StartSender(lab, source, receivers: 8);

        await ExpectAllByteEqualAsync(source, files, sender, receivers);
        for (var i = 1; i <= 8; i++)
        {
            Assert.True(lab.LossDrops(i) > 0, $"the lab dropped nothing at rcv{i}: the loss rule did not work");
        }

        Assert.True(lab.LossDrops(8) > 2 * lab.LossDrops(1), $"rcv8 (5%) lost {lab.LossDrops(8)}, rcv1 (1%) {lab.LossDrops(1)}");
    }

    [Fact]
    public async Task Receiver_KilledAndRestarted_ResumesAndEndsByteEqual()
    {
        if (Skip())
        {
            return;
        }

        using var files = new TempDirectory();
        var source = files.RandomFile("image.raw", 32 << 20, seed: 9);
        await using var lab = NetworkLab.Start(3, output, "--rate", "50mbit", "--loss-permille", "10");
        var receivers = Enumerable.Range(1, 3).Select(i => StartReceiver(lab, i, files.File($"rcv{i}.raw"))).ToArray();
        var sender = StartSender(lab, source, receivers: 3);

        // Kill receiver 2 once it has verified part of the file (its block map is on disk), then start it again.
        var map = BlockMapFile.PathFor(files.File("rcv2.raw"));
        await WaitUntilAsync(() => File.Exists(map) && new FileInfo(map).Length > 0 && sender.Output.Contains("Sending", StringComparison.Ordinal), "rcv2's block map", TimeSpan.FromSeconds(60));
        await Task.Delay(2500);
        Assert.False(receivers[1].HasExited, "rcv2 finished before it could be killed; the test needs a slower link or a larger file");
        receivers[1].Kill();
        output.WriteLine($"killed rcv2; it had printed:\n{receivers[1].Output}");
        receivers[1] = StartReceiver(lab, 2, files.File("rcv2.raw"), name: "rcv2 (restarted)");

        await ExpectAllByteEqualAsync(source, files, sender, receivers);
        Assert.Contains("resumed with", receivers[1].Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LateJoiner_StartedWhileTheOthersReceive_GetsWhatItMissedAndEndsByteEqual()
    {
        if (Skip())
        {
            return;
        }

        using var files = new TempDirectory();
        var source = files.RandomFile("image.raw", 24 << 20, seed: 10);
        await using var lab = NetworkLab.Start(3, output, "--rate", "50mbit", "--loss-permille", "10");
        var receivers = new LabProcess[3];
        receivers[0] = StartReceiver(lab, 1, files.File("rcv1.raw"));
        receivers[1] = StartReceiver(lab, 2, files.File("rcv2.raw"));
        var sender = StartSender(lab, source, receivers: 2);

        // The late one starts when the first two already hold part of the file.
        var map = BlockMapFile.PathFor(files.File("rcv1.raw"));
        await WaitUntilAsync(() => File.Exists(map) && new FileInfo(map).Length > 0, "rcv1's block map", TimeSpan.FromSeconds(60));
        await Task.Delay(1000);
        Assert.False(sender.HasExited, "the sender finished before the late joiner could start");
        receivers[2] = StartReceiver(lab, 3, files.File("rcv3.raw"), name: "rcv3 (late)");

        await ExpectAllByteEqualAsync(source, files, sender, receivers);
        Assert.True(receivers[2].ExitedAfter > 0);
    }

    [Fact]
    public async Task GarbageDatagrams_OnTheSessionsPort_AreDroppedAndCountedAndTheTransferEndsByteEqual()
    {
        if (Skip())
        {
            return;
        }

        using var files = new TempDirectory();
        var source = files.RandomFile("image.raw", 24 << 20, seed: 11);
        await using var lab = NetworkLab.Start(3, output, "--rate", "100mbit");
        var receivers = new[] { StartReceiver(lab, 1, files.File("rcv1.raw"), verbose: true), StartReceiver(lab, 2, files.File("rcv2.raw"), verbose: true) };
        var sender = StartSender(lab, source, receivers: 2);

        // Host 3 is no receiver: it sends junk to the group and port and to the sender's port until the transfer ends.
        using var stop = new CancellationTokenSource();
        var garbage = Task.Run(() => SendGarbage(lab.ReceiverNamespace(3), NetworkLab.ReceiverAddress(3), stop.Token));
        try
        {
            await ExpectAllByteEqualAsync(source, files, sender, receivers);
        }
        finally
        {
            await stop.CancelAsync();
        }

        var sent = await garbage;
        Assert.True(sent > 100, $"only {sent} garbage datagrams were sent");
        foreach (var receiver in receivers)
        {
            // "dropped: malformed 12, ..." with at least one counted drop
            var match = DroppedLine().Match(receiver.Output);
            Assert.True(match.Success, $"{receiver.Name} printed no drop counts:\n{receiver.Output}");
            var counted = Regex.Matches(match.Groups[1].Value, @"\d+").Sum(m => long.Parse(m.Value, CultureInfo.InvariantCulture));
            Assert.True(counted >= 10, $"{receiver.Name} counted {counted} dropped datagrams of {sent} garbage: {match.Value}");
        }
    }

    private static long SendGarbage(string ns, string address, CancellationToken cancellationToken)
    {
        using var socket = NetworkLab.CreateSocket(ns, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.Parse(address).GetAddressBytes());
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 1);
        var group = new IPEndPoint(IPAddress.Parse(Group), 63000);
        var sender = new IPEndPoint(IPAddress.Parse(NetworkLab.SenderAddress), 63000);
        var random = new Random(12);
        var buffer = new byte[1500];
        long sent = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Random bytes of random length; every fourth one starts like a plausible header (first bytes zero).
            var length = random.Next(1, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (sent % 4 == 0)
            {
                buffer.AsSpan(0, Math.Min(4, length)).Clear();
            }

            socket.SendTo(buffer.AsSpan(0, length), sent % 5 == 0 ? sender : group);
            sent++;
            if (sent % 20 == 0)
            {
                Thread.Sleep(2);
            }
        }

        return sent;
    }

    private bool Skip()
    {
        var reason = NetworkLab.SkipReason();
        if (reason is null)
        {
            return false;
        }

        output.WriteLine("SKIPPED: " + reason);
        return true;
    }

    private static LabProcess StartReceiver(NetworkLab lab, int i, string path, string? name = null, bool verbose = false)
    {
        string[] arguments = ["receive", "--output", path, "--interface", NetworkLab.ReceiverAddress(i), "--group", Group, "--port", "63000", "--timeout", "30"];
        return lab.StartDeploycast(lab.ReceiverNamespace(i), name ?? $"rcv{i}", verbose ? [.. arguments, "-v"] : arguments);
    }

    private static LabProcess StartSender(NetworkLab lab, string source, int receivers) =>
        lab.StartDeploycast(lab.SenderNamespace, "sender", "send", source, "--interface", NetworkLab.SenderAddress, "--group", Group, "--port", "63000",
            "--min-receivers", receivers.ToString(CultureInfo.InvariantCulture), "--max-wait", "60");

    private async Task ExpectAllByteEqualAsync(string source, TempDirectory files, LabProcess sender, LabProcess[] receivers)
    {
        var expected = NetworkLab.Sha256(source);
        var codes = new List<(LabProcess Process, int Code)>();
        foreach (var process in receivers.Append(sender))
        {
            codes.Add((process, await process.WaitAsync(Limit)));
        }

        foreach (var (process, code) in codes)
        {
            output.WriteLine($"== {process.Name}: exit {code} after {process.ExitedAfter:0.0} s\n{process.Output}");
        }

        foreach (var (process, code) in codes)
        {
            Assert.True(code == 0, $"{process.Name} exited {code}:\n{process.Output}");
        }

        for (var i = 1; i <= receivers.Length; i++)
        {
            Assert.Equal(expected, NetworkLab.Sha256(files.File($"rcv{i}.raw")));
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {what}");
            }

            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"dropped: ([^\r\n]*)")]
    private static partial Regex DroppedLine();
}
