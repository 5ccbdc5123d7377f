using System.Diagnostics;

namespace Deploycast.IntegrationTests;

/// <summary>A receiver whose disk is too small says so and exits non-zero. Needs root to mount a small tmpfs.</summary>
public sealed class DiskFullTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Receive_OntoAFullDisk_ExitsNonZeroAndSaysTheDiskIsFull()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            output.WriteLine("SKIPPED: mounting a small tmpfs needs root");
            return;
        }

        using var temp = new TempDirectory();
        var mount = temp.File("small");
        Directory.CreateDirectory(mount);
        if (await RunAsync("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount) != 0)
        {
            output.WriteLine("SKIPPED: this machine does not allow mounting a tmpfs");
            return;
        }

        try
        {
            var source = temp.RandomFile("disk.img", 4_000_000, 8);
            var group = TestPorts.NextGroup();
            string[] endpoint = ["--group", group.Address.ToString(), "--port", group.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            using var sender = CliProcess.Start(["send", source, "--max-wait", "30", .. endpoint]);
            using var receiver = CliProcess.Start(["receive", "--output", Path.Combine(mount, "copy.img"), .. endpoint]);
            var exit = await receiver.WaitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine(receiver.Output);
            Assert.Equal(1, exit);
            Assert.Contains("the disk was full", receiver.Output, StringComparison.Ordinal);
            Assert.Contains("writing the output failed", receiver.Output, StringComparison.Ordinal);

            // The sender learns that its only receiver left and ends without waiting for a timeout.
            Assert.Equal(1, await sender.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("left without the whole file", sender.Output, StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync("umount", mount);
        }
    }

    private static async Task<int> RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
