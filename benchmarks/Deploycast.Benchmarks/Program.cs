using BenchmarkDotNet.Running;

namespace Deploycast.Benchmarks;

public static class Program
{
    /// <summary>
    /// <c>sim ...</c> runs the simulated bottleneck benchmark; <c>import FILE</c> the content library import;
    /// <c>imaging ...</c> WIM and raw apply against wimapply and dd;
    /// <c>site ...</c> the site server's operations on SQLite and PostgreSQL;
    /// anything else goes to BenchmarkDotNet
    /// (for example <c>--filter '*Fec*'</c>).
    /// </summary>
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "sim")
        {
            SimulatedBottleneck.Run(args[1..]);
            return;
        }

        if (args.Length > 1 && args[0] == "import")
        {
            ContentImportBenchmark.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "site")
        {
            SiteServerBenchmark.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "imaging")
        {
            ImagingBenchmark.Run(args[1..]);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
