using System.Diagnostics;
using System.Globalization;

namespace Deploycast.Content.Tests;

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "deploycast-content-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string RandomFile(string name, long size, int seed)
    {
        var random = new Random(seed);
        var buffer = new byte[1 << 20];
        using var stream = System.IO.File.Create(File(name));
        for (long written = 0; written < size; written += buffer.Length)
        {
            random.NextBytes(buffer);
            stream.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
        }

        return File(name);
    }

    /// <summary>A file of <paramref name="size"/> bytes, zero except for random bytes in <paramref name="dataRanges"/>.</summary>
    public string FileWithData(string name, long size, int seed, params (long Offset, int Length)[] dataRanges)
    {
        var random = new Random(seed);
        using (var stream = System.IO.File.Create(File(name)))
        {
            stream.SetLength(size);
            foreach (var (offset, length) in dataRanges)
            {
                var data = new byte[length];
                random.NextBytes(data);

                // Random bytes may contain zeros but never a whole page of them.
                stream.Position = offset;
                stream.Write(data);
            }
        }

        return File(name);
    }

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

    /// <summary>Bytes the file system allocated to <paramref name="path"/>, from stat(1): independent of the code under test.</summary>
    public static long AllocatedBytes(string path)
    {
        var output = Run("stat", "-c", "%b %B", path).Split(' ');
        return long.Parse(output[0], CultureInfo.InvariantCulture) * long.Parse(output[1], CultureInfo.InvariantCulture);
    }

    public static string Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {error}");
        }

        return output.Trim();
    }

    /// <summary>
    /// Mounts a tmpfs of <paramref name="size"/> (like "4m") at a new folder in this directory, for tests of a full disk;
    /// null, with the reason written to <paramref name="output"/>, where that is not possible (not root, or not allowed).
    /// The caller unmounts it.
    /// </summary>
    public string? TryMountSmallTmpfs(string size, Xunit.Abstractions.ITestOutputHelper output)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            output.WriteLine("SKIPPED: mounting a small tmpfs needs root (CI runs as root)");
            return null;
        }

        var mount = File("small");
        Directory.CreateDirectory(mount);
        if (RunExitCode("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", mount) != 0)
        {
            output.WriteLine("SKIPPED: this machine does not allow mounting a tmpfs");
            return null;
        }

        return mount;
    }

    public static int RunExitCode(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
