using System.Diagnostics;

namespace Deploycast.IntegrationTests;

/// <summary>
/// Transfers between hosts in network namespaces (lab/netlab.sh): real interfaces, a bridge, rate caps and random
/// loss, nothing on this machine's real interface. Needs root; elsewhere the lab script reports a skip (exit 77),
/// which these tests print and accept. CI runs as root, so there they run for real.
/// </summary>
public sealed class NetworkLabTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task ThreeHosts_WithTwoPercentLossAndALateJoiner_AllEndByteEqual()
    {
        var script = Path.Combine(RepositoryRoot(), "lab", "ci-transfer.sh");
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "deploycast.dll"));
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        var text = await stdout + await stderr;
        output.WriteLine(text);
        if (process.ExitCode == 77)
        {
            output.WriteLine("SKIPPED: the network lab needs root and network namespaces");
            return;
        }

        Assert.True(process.ExitCode == 0, $"the lab transfer failed (exit {process.ExitCode}):\n{text}");
        Assert.Contains("lab transfer ok", text, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Deploycast.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("cannot find the repository root from " + AppContext.BaseDirectory);
    }
}
