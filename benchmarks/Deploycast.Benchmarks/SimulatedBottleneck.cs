using System.Globalization;
using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Simulation;

namespace Deploycast.Benchmarks;

/// <summary>
/// The protocol cores over the deterministic in-memory network with a bottleneck: N receivers, each behind a
/// 200 Mbit/s port with a 10 ms queue (like the lab's tbf) and independent random loss. Prints simulated goodput
/// as a share of the link, bytes on the wire per file byte, repairs and rate cuts. Deterministic: the same seed
/// gives the same figures on any machine, so it shows the effect of a protocol change without the lab's noise.
/// Usage: <c>sim [--size MiB] [--receivers n] [--loss 0,0.01,0.05] [--seed s]</c>
/// </summary>
internal static class SimulatedBottleneck
{
    public static void Run(string[] args)
    {
        var sizeMiB = 256;
        var receivers = 4;
        var seed = 5;
        double[] losses = [0, 0.01, 0.05];
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--size": sizeMiB = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--receivers": receivers = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--loss": losses = args[i + 1].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        const double link = 200e6;
        var content = new byte[sizeMiB << 20];
        new Random(seed).NextBytes(content);
        Console.WriteLine($"| loss | receivers | simulated time s | goodput Mbit/s | % of link | wire/file | parity | repairs | rate cuts |");
        Console.WriteLine($"|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var loss in losses)
        {
            using var transfer = new SimulatedTransfer(content, SenderOptions.Default with { MinReceivers = receivers }, seed);
            for (var r = 0; r < receivers; r++)
            {
                transfer.AddReceiver(new LinkProfile { Loss = loss, Rate = link, QueueLimit = TimeSpan.FromMilliseconds(10) });
            }

            if (!transfer.Run(TimeSpan.FromMinutes(30)))
            {
                Console.WriteLine($"| {loss:P1} | {receivers} | did not finish | | | | | | |");
                continue;
            }

            var s = transfer.Sender.GetSummary(transfer.Clock.GetTimestamp());
            var goodput = content.LongLength * 8 / s.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {loss:P1} | {receivers} | {s.Elapsed.TotalSeconds:0.00} | {goodput / 1e6:0.0} | {goodput / link:P1} | {(double)s.BytesOnWire / content.Length:0.000} | {s.ParitySymbolsSent} | {s.RepairSymbolsSent} | {s.RateDecreases} |"));
        }
    }
}
