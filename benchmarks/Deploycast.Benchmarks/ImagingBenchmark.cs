using System.Diagnostics;
using System.Globalization;
using System.Text;
using Deploycast.Imaging.Raw;
using Deploycast.Imaging.Wim;

namespace Deploycast.Benchmarks;

/// <summary>
/// Apply speed of the imaging library against the reference tools, on the same files in the same run:
/// a WIM applied through our wimlib binding and through <c>wimapply</c>; a raw image written by
/// <see cref="RawImage"/> and by <c>dd conv=sparse,fsync</c>. Everything is made under a temporary directory on the
/// given disk and removed afterwards. The WIM and raw sources are read once before timing (page cache warm), and
/// each run starts after a <c>sync</c>, so dirty pages of the previous run do not count against the next.
/// Usage: <c>imaging [--dir DIR] [--tree-mb 200] [--raw-mb 1024] [--repeat 3]</c>
/// </summary>
internal static class ImagingBenchmark
{
    public static void Run(string[] args)
    {
        var directory = Path.GetTempPath();
        var treeMegabytes = 200;
        var rawMegabytes = 1024;
        var repeat = 3;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--dir": directory = args[i + 1]; break;
                case "--tree-mb": treeMegabytes = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--raw-mb": rawMegabytes = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--repeat": repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        var root = Path.Combine(directory, $"deploycast-imaging-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine(Invariant($"{Environment.ProcessorCount} cores; wimlib {Version()}; working in {root}"));
            var tree = Path.Combine(root, "tree");
            var (files, bytes) = BuildTree(tree, (long)treeMegabytes << 20);
            var wim = Path.Combine(root, "install.wim");
            var capture = Stopwatch.StartNew();
            Run("wimcapture", tree, wim, "Benchmark", "--compress=LZX");
            Console.WriteLine(Invariant($"tree: {files:N0} files, {bytes:N0} bytes; WIM (LZX): {new FileInfo(wim).Length:N0} bytes, captured in {capture.Elapsed.TotalSeconds:F1} s"));
            WarmCache(wim);

            var ours = new List<double>();
            var theirs = new List<double>();
            for (var run = 0; run < repeat; run++)
            {
                // Alternate which goes first, so neither always meets the other's leftover writeback.
                foreach (var tool in run % 2 == 0 ? new[] { "ours", "wimapply" } : ["wimapply", "ours"])
                {
                    var target = Path.Combine(root, "applied");
                    Run("sync");
                    var stopwatch = Stopwatch.StartNew();
                    if (tool == "ours")
                    {
                        using var image = WimImage.Open(wim);
                        image.Apply(1, target);
                        ours.Add(stopwatch.Elapsed.TotalSeconds);
                    }
                    else
                    {
                        Run("wimapply", wim, "1", target);
                        theirs.Add(stopwatch.Elapsed.TotalSeconds);
                    }

                    Directory.Delete(target, recursive: true);
                }
            }

            Report("WIM apply, Deploycast.Imaging", bytes, ours);
            Report("WIM apply, wimapply 1.13 CLI", bytes, theirs);

            RawRuns(root, tree, rawMegabytes, repeat);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void RawRuns(string root, string tree, int rawMegabytes, int repeat)
    {
        var ext4 = Path.Combine(root, "rootfs.img");
        Run("mkfs.ext4", "-q", "-F", "-d", tree, ext4, Invariant($"{rawMegabytes}M"));
        var random = Path.Combine(root, "random.img");
        WriteRandom(random, (long)rawMegabytes / 2 << 20);
        foreach (var (label, source) in new[] { ("ext4 image (mostly zero)", ext4), ("all random", random) })
        {
            var size = new FileInfo(source).Length;
            WarmCache(source);
            var ours = new List<double>();
            var dd = new List<double>();
            for (var run = 0; run < repeat; run++)
            {
                var target = Path.Combine(root, "target.img");
                Run("sync");
                var stopwatch = Stopwatch.StartNew();
                RawImage.Apply(source, target);
                ours.Add(stopwatch.Elapsed.TotalSeconds);
                File.Delete(target);

                Run("sync");
                stopwatch.Restart();
                Run("dd", $"if={source}", $"of={target}", "bs=4M", "conv=sparse,fsync", "status=none");
                dd.Add(stopwatch.Elapsed.TotalSeconds);
                File.Delete(target);
            }

            Console.WriteLine(Invariant($"raw {label}: {size:N0} bytes, {AllocatedBytes(source):N0} allocated"));
            Report(Invariant($"raw apply to a file, {label}, Deploycast.Imaging"), size, ours);
            Report(Invariant($"raw apply to a file, {label}, dd conv=sparse,fsync bs=4M"), size, dd);
        }
    }

    /// <summary>
    /// A tree shaped like an OS image: many small files and a few large ones; half the bytes random
    /// (incompressible, like already-compressed binaries), half text-like (compressible).
    /// </summary>
    private static (int Files, long Bytes) BuildTree(string root, long target)
    {
        var random = new Random(42);
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 4000).Select(i => $"line {i}: the quick brown fox {i % 97} jumps over the lazy dog\n")));
        long bytes = 0;
        var files = 0;
        while (bytes < target)
        {
            var folder = Path.Combine(root, $"dir{files % 40:D2}", $"sub{files % 7}");
            Directory.CreateDirectory(folder);

            // Sizes: mostly 4-64 KiB, one in twenty 1-8 MiB.
            var size = files % 20 == 0 ? random.Next(1 << 20, 8 << 20) : random.Next(4 << 10, 64 << 10);
            size = (int)Math.Min(size, target - bytes);
            var data = new byte[size];
            if (files % 2 == 0)
            {
                random.NextBytes(data);
            }
            else
            {
                for (var offset = 0; offset < size; offset += text.Length)
                {
                    text.AsSpan(0, Math.Min(text.Length, size - offset)).CopyTo(data.AsSpan(offset));
                }
            }

            File.WriteAllBytes(Path.Combine(folder, $"file{files:D5}.bin"), data);
            bytes += size;
            files++;
        }

        return (files, bytes);
    }

    private static void WriteRandom(string path, long size)
    {
        var random = new Random(7);
        var buffer = new byte[4 << 20];
        using var stream = File.Create(path);
        for (long written = 0; written < size; written += buffer.Length)
        {
            random.NextBytes(buffer);
            stream.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
        }
    }

    private static void WarmCache(string path)
    {
        using var stream = File.OpenRead(path);
        stream.CopyTo(Stream.Null, 4 << 20);
    }

    private static void Report(string label, long bytes, List<double> seconds)
    {
        var sorted = seconds.Order().ToList();
        var median = sorted[sorted.Count / 2];
        Console.WriteLine(Invariant($"{label}: median {median:F2} s = {bytes / 1e6 / median:F0} MB/s (runs: {string.Join(", ", seconds.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))} s)"));
    }

    private static string Version()
    {
        var first = Run("wimlib-imagex", "--version").Split('\n')[0];
        return first;
    }

    private static long AllocatedBytes(string path)
    {
        var fields = Run("stat", "-c", "%b %B", path).Trim().Split(' ');
        return long.Parse(fields[0], CultureInfo.InvariantCulture) * long.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {error.Result}");
        }

        return output;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
