using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Xunit.Abstractions;

namespace Deploycast.IntegrationTests;

/// <summary>
/// One network lab (lab/netlab.sh) for a test: a sender host and receiver hosts in network namespaces behind a bridge,
/// with rate caps, random loss and a slow host, addresses 198.18.0.0/24 inside the namespaces only. Processes run in
/// the hosts through <c>ip netns exec</c>; sockets the test itself needs in a host are opened there with
/// <see cref="CreateSocket"/>. Disposing kills every process it started and deletes the namespaces, also when the test
/// failed; a lab that a killed test run left behind is swept at the next start (its name carries the process id).
/// </summary>
internal sealed class NetworkLab : IAsyncDisposable
{
    public const string SenderAddress = "198.18.0.1";
    private const string Stem = "dcnl";
    private static int s_count;

    private readonly List<LabProcess> _processes = [];
    private readonly ITestOutputHelper _output;

    private NetworkLab(string prefix, int receivers, ITestOutputHelper output)
    {
        Prefix = prefix;
        Receivers = receivers;
        _output = output;
    }

    public string Prefix { get; }

    public int Receivers { get; }

    public string SenderNamespace => Prefix + "-snd";

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "deploycast.dll");

    /// <summary>Why the lab cannot run here (not root, no <c>ip netns</c>), or null when it can.</summary>
    public static string? SkipReason()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "the network lab needs Linux network namespaces";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "the network lab needs root (network namespaces, tc, nftables); CI runs it as root";
        }

        var (code, text) = RunBash("source \"$1\"; lab_check", Script);
        return code == 0 ? null : $"lab_check says: {text.Trim()}";
    }

    /// <summary>Builds a lab of <paramref name="receivers"/> hosts; <paramref name="options"/> go to lab_up (e.g. --rate 200mbit).</summary>
    public static NetworkLab Start(int receivers, ITestOutputHelper output, params string[] options)
    {
        var prefix = $"{Stem}{Environment.ProcessId}_{Interlocked.Increment(ref s_count)}";
        var (sweep, sweepText) = RunBash("source \"$1\"; lab_sweep " + Stem, Script);
        if (sweep != 0)
        {
            output.WriteLine("stale-lab sweep: " + sweepText);
        }

        var lab = new NetworkLab(prefix, receivers, output);
        var args = new List<string> { Script, prefix, receivers.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        args.AddRange(options);
        var (code, text) = RunBash("source \"$1\"; shift; lab_up \"$@\"", [.. args]);
        output.WriteLine(text.Trim());
        if (code != 0)
        {
            RunBash("source \"$1\"; lab_down \"$2\"", Script, prefix);
            throw new InvalidOperationException($"lab_up {string.Join(' ', options)} failed (exit {code}): {text}");
        }

        return lab;
    }

    public string ReceiverNamespace(int i) => $"{Prefix}-rcv{i}";

    public static string ReceiverAddress(int i) => $"198.18.0.{10 + i}";

    /// <summary>Starts <c>deploycast</c> with <paramref name="arguments"/> inside namespace <paramref name="ns"/>.</summary>
    public LabProcess StartDeploycast(string ns, string name, params string[] arguments) => StartDeploycast(ns, name, null, arguments);

    /// <summary>As <see cref="StartDeploycast(string, string, string[])"/>, with extra environment variables.</summary>
    public LabProcess StartDeploycast(string ns, string name, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var process = LabProcess.Start(name, "ip", ["netns", "exec", ns, "dotnet", Dll, .. arguments], environment);
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>Datagrams the loss rules of receiver <paramref name="i"/> dropped so far.</summary>
    public long LossDrops(int i)
    {
        var (_, text) = RunBash("source \"$1\"; lab_nft_drops \"$2\" \"$3\"", Script, Prefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return long.TryParse(text.Trim(), out var value) ? value : 0;
    }

    /// <summary>
    /// A socket opened inside namespace <paramref name="ns"/>: it is created on a thread that joined the namespace
    /// (setns affects only the calling thread), and a socket stays in the namespace it was created in.
    /// </summary>
    public static Socket CreateSocket(string ns, SocketType type, ProtocolType protocol)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var home = File.OpenHandle("/proc/thread-self/ns/net");
                using var target = File.OpenHandle("/var/run/netns/" + ns);
                if (SetNs(target.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns into {ns} failed: errno {Marshal.GetLastPInvokeError()}");
                }

                try
                {
                    socket = new Socket(AddressFamily.InterNetwork, type, protocol);
                }
                finally
                {
                    _ = SetNs(home.DangerousGetHandle().ToInt32(), CloneNewNet);
                }
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new IOException("cannot open a socket in " + ns, error);
    }

    /// <summary>An HTTP client whose connections are opened inside <paramref name="ns"/>, trusting one certificate.</summary>
    public static HttpClient HttpIn(string ns, Uri baseAddress, string fingerprint, string? token)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = CreateSocket(ns, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && string.Equals(Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData())), fingerprint, StringComparison.OrdinalIgnoreCase);
        var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public async ValueTask DisposeAsync()
    {
        LabProcess[] processes;
        lock (_processes)
        {
            processes = [.. _processes];
        }

        foreach (var process in processes)
        {
            process.Dispose();
        }

        var (code, text) = RunBash("source \"$1\"; lab_down \"$2\"", Script, Prefix);
        if (code != 0)
        {
            _output.WriteLine($"lab_down {Prefix} failed (exit {code}): {text}");
        }

        await Task.CompletedTask;
    }

    private static string Script => Path.Combine(RepositoryRoot(), "lab", "netlab.sh");

    private static (int Code, string Text) RunBash(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("netlab");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
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

    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);
}

/// <summary>A process in a lab host, with what it prints and when it ended.</summary>
internal sealed class LabProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LabProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>Seconds from the start to the exit (null while it runs).</summary>
    public double? ExitedAfter { get; private set; }

    public bool HasExited => ExitedAfter is not null;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static LabProcess Start(string name, string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Lab tests never share the user's manifest cache.
        info.Environment["XDG_CACHE_HOME"] = Path.Combine(Path.GetTempPath(), "deploycast-lab-cache-" + Environment.ProcessId);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var lab = new LabProcess(name, process);
        process.OutputDataReceived += (_, e) => lab.Append(e.Data);
        process.ErrorDataReceived += (_, e) => lab.Append(e.Data);
        process.Exited += (_, _) =>
        {
            lab.ExitedAfter = lab._clock.Elapsed.TotalSeconds;
            lab._exited.TrySetResult();
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return lab;
    }

    /// <summary>Waits for the exit and returns the exit code; kills the process and fails when it takes longer.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0} s; it printed:\n{Output}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits until the process has printed <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var until = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (until.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} did not print '{text}' within {timeout.TotalSeconds:0} s; it printed:\n{Output}");
            }

            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited before printing '{text}'; it printed:\n{Output}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
