using System.Diagnostics;
using System.Globalization;

namespace Deploycast.Imaging.Tests;

/// <summary>A fresh directory under the system's temporary folder, removed at the end of the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "deploycast-imaging-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Runs the third-party tools the tests check against.</summary>
internal static class Tool
{
    public static bool Exists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin")
            .Any(directory => File.Exists(System.IO.Path.Combine(directory, name)));

    /// <summary>Runs a tool and returns its standard output; throws with its standard error when it fails.</summary>
    public static string Run(string file, params string[] arguments)
    {
        var (exitCode, output, error) = RunWithExitCode(file, arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {exitCode}: {error}{output}");
        }

        return output;
    }

    public static (int ExitCode, string Output, string Error) RunWithExitCode(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    /// <summary>Bytes the file system allocated to <paramref name="path"/>, as stat(1) reports them.</summary>
    public static long AllocatedBytes(string path)
    {
        var fields = Run("stat", "-c", "%b %B", path).Trim().Split(' ');
        return long.Parse(fields[0], CultureInfo.InvariantCulture) * long.Parse(fields[1], CultureInfo.InvariantCulture);
    }
}

/// <summary>A test that needs wimtools (wimcapture, wiminfo); skipped with the reason when they are missing.</summary>
internal sealed class WimToolsFactAttribute : FactAttribute
{
    public WimToolsFactAttribute()
    {
        if (!Tool.Exists("wimcapture") || !Tool.Exists("wiminfo") || !File.Exists("/usr/lib/x86_64-linux-gnu/libwim.so.15") && !File.Exists("/usr/lib/aarch64-linux-gnu/libwim.so.15"))
        {
            Skip = "wimtools is not installed: apt-get install wimtools (brings libwim15)";
        }
    }
}

/// <summary>A test that needs e2fsprogs (mkfs.ext4 with -d, e2fsck); skipped with the reason when missing.</summary>
internal sealed class E2fsprogsFactAttribute : FactAttribute
{
    public E2fsprogsFactAttribute()
    {
        if (!Tool.Exists("mkfs.ext4") || !Tool.Exists("e2fsck"))
        {
            Skip = "e2fsprogs is not installed: apt-get install e2fsprogs";
        }
    }
}

/// <summary>A test on a loop block device: needs root, losetup and e2fsprogs; CI runs as root.</summary>
internal sealed class LoopDeviceFactAttribute : FactAttribute
{
    public LoopDeviceFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !Tool.Exists("losetup") || !File.Exists("/dev/loop-control"))
        {
            Skip = "loop block devices need root, losetup and /dev/loop-control (CI runs as root)";
        }
        else if (!Tool.Exists("mkfs.ext4"))
        {
            Skip = "e2fsprogs is not installed: apt-get install e2fsprogs";
        }
    }
}

/// <summary>A test that needs mkntfs and ntfscat (Debian ntfs-3g) besides wimtools.</summary>
internal sealed class NtfsToolsFactAttribute : FactAttribute
{
    public NtfsToolsFactAttribute()
    {
        if (!Tool.Exists("wimcapture"))
        {
            Skip = "wimtools is not installed: apt-get install wimtools (brings libwim15)";
        }
        else if (!Tool.Exists("mkntfs") || !Tool.Exists("ntfscat"))
        {
            Skip = "ntfs-3g is not installed (mkntfs, ntfscat): apt-get install ntfs-3g; CI does not install it";
        }
    }
}

/// <summary>A loop device over a file, detached at the end.</summary>
internal sealed class LoopDevice : IDisposable
{
    public LoopDevice(string backingFile) => Path = Tool.Run("losetup", "--find", "--show", backingFile).Trim();

    public string Path { get; }

    public void Dispose() => Tool.RunWithExitCode("losetup", "--detach", Path);
}

/// <summary>Reports on the thread that raises them, in order (Progress&lt;T&gt; would post them to the thread pool).</summary>
internal sealed class RecordingProgress(Action<ImageApplyProgress>? onReport = null) : IProgress<ImageApplyProgress>
{
    public List<ImageApplyProgress> Reports { get; } = [];

    public void Report(ImageApplyProgress value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }

    /// <summary>Every report's bytes are at least the previous one's and never above the total.</summary>
    public void AssertMonotonic()
    {
        Assert.NotEmpty(Reports);
        for (var i = 1; i < Reports.Count; i++)
        {
            Assert.True(Reports[i].CompletedBytes >= Reports[i - 1].CompletedBytes, $"report {i} went back from {Reports[i - 1].CompletedBytes} to {Reports[i].CompletedBytes}");
            Assert.True(Reports[i].Phase >= Reports[i - 1].Phase, $"report {i} went back from {Reports[i - 1].Phase} to {Reports[i].Phase}");
        }

        Assert.All(Reports, report => Assert.InRange(report.CompletedBytes, 0, report.TotalBytes));
    }
}
