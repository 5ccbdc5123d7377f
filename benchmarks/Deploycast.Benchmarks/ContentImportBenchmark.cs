using System.Diagnostics;
using System.Globalization;
using Deploycast.Content.Library;
using Deploycast.Content.Signing;

namespace Deploycast.Benchmarks;

/// <summary>
/// Imports a file into a fresh content library in a temporary directory (next to the file, so on the same disk),
/// then validates it, and prints both speeds. The library is removed afterwards. Import speed counts everything:
/// the read, both hashes, the sparse write and the flush to disk.
/// Usage: <c>import FILE [--block-size bytes] [--repeat n]</c>
/// </summary>
internal static class ContentImportBenchmark
{
    public static void Run(string[] args)
    {
        var source = Path.GetFullPath(args[0]);
        var blockSize = ContentLibraryOptions.DefaultBlockSize;
        var repeat = 1;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--block-size": blockSize = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--repeat": repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        var size = new FileInfo(source).Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{source}: {size:N0} bytes, block size {blockSize:N0}, {Environment.ProcessorCount} cores"));
        for (var run = 0; run < repeat; run++)
        {
            var root = Path.Combine(Path.GetDirectoryName(source)!, $"deploycast-import-bench-{Guid.NewGuid():N}");
            try
            {
                using var key = SiteKey.LoadOrCreate(Path.Combine(root, "key"));
                using var library = new ContentLibrary(new ContentLibraryOptions { Root = Path.Combine(root, "library"), BlockSize = blockSize }, key);
                var process = Process.GetCurrentProcess();
                var cpu = process.TotalProcessorTime;
                var stopwatch = Stopwatch.StartNew();
                var item = library.ImportAsync(source, null, CancellationToken.None).GetAwaiter().GetResult();
                var import = stopwatch.Elapsed.TotalSeconds;
                process.Refresh();
                var importCpu = (process.TotalProcessorTime - cpu).TotalSeconds;
                cpu = process.TotalProcessorTime;
                stopwatch.Restart();
                var report = library.ValidateAsync(item.ContentId, null, CancellationToken.None).GetAwaiter().GetResult();
                var validate = stopwatch.Elapsed.TotalSeconds;
                process.Refresh();
                var validateCpu = (process.TotalProcessorTime - cpu).TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"import {import:F2} s = {size / 1e6 / import:F0} MB/s, {importCpu:F2} CPU s ({item.ZeroBytes:N0} zero bytes not stored); " +
                    $"validate {validate:F2} s = {size / 1e6 / validate:F0} MB/s, {validateCpu:F2} CPU s, {report.Items[0].State}"));
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }
}
