using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Deploycast.Agent.Logging;

namespace Deploycast.Agent.Steps;

/// <summary>
/// Runs a command line through the system's shell (<c>/bin/sh -c</c>, or <c>cmd.exe /c</c> on Windows), sends each line
/// of its output to the agent's log as it comes, keeps the last lines for a failure message, and kills the whole process
/// tree when the command runs too long or the agent stops.
/// </summary>
internal sealed class ShellCommand(TimeProvider time)
{
    /// <summary>How many of the last output lines a failure message quotes.</summary>
    public const int TailLines = 5;

    // After the shell exits, a background child may still hold the output pipes open; wait this long for the rest of the
    // output, then stop reading rather than wait for the child.
    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="commandLine"/>. Throws <see cref="Win32Exception"/> when the shell cannot start (for
    /// example a working directory that does not exist) and <see cref="OperationCanceledException"/> after killing the
    /// command when <paramref name="cancellationToken"/> fires.</summary>
    public async Task<ShellCommandResult> RunAsync(string commandLine, string workingDirectory, TimeSpan timeout, AgentLog log,
        string component, string deploymentId, int step, string stepName, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            CreateNoWindow = true,
        };
        if (OperatingSystem.IsWindows())
        {
            // cmd.exe's own quoting: /s /c "..." takes everything between the outer quotes as the command, as typed.
            start.FileName = "cmd.exe";
            start.Arguments = $"/d /s /c \"{commandLine}\"";
        }
        else
        {
            start.FileName = "/bin/sh";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(commandLine);
        }

        using var process = new Process { StartInfo = start };
        process.Start();

        // Commands get an empty standard input, so one that asks a question fails instead of waiting for ever.
        process.StandardInput.Close();

        // Each stream keeps its own tail: the two are read concurrently, so their lines' order across streams is not known,
        // and a shared tail could lose the error line to output read after it.
        var outTail = new Queue<string>(TailLines);
        var errTail = new Queue<string>(TailLines);
        var stdout = PumpAsync(process.StandardOutput, null, outTail);
        var stderr = PumpAsync(process.StandardError, "stderr: ", errTail);

        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(stdout, stderr).WaitAsync(OutputDrainLimit, time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            log.Warning(component, "The command exited, but a process it started still holds its output open; the rest of its output is not logged.", deploymentId, step, stepName);
        }

        cancellationToken.ThrowIfCancellationRequested();
        // Both pumps have finished (or were given up on); a pump given up on may still add lines, so copy under its lock.
        string[] errLines;
        lock (errTail)
        {
            errLines = [.. errTail];
        }

        string[] outLines;
        lock (outTail)
        {
            outLines = [.. outTail];
        }

        // The error lines matter most: they all stay, and the last output lines fill what is left.
        var fromOut = Math.Min(outLines.Length, TailLines - errLines.Length);
        string[] lastLines = [.. outLines[(outLines.Length - fromOut)..], .. errLines];
        return new ShellCommandResult(timedOut ? null : process.ExitCode, timedOut, lastLines);

        async Task PumpAsync(StreamReader reader, string? prefix, Queue<string> tail)
        {
            while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                var text = prefix + line;
                log.Info(component, text, deploymentId, step, stepName);
                lock (tail)
                {
                    if (tail.Count == TailLines)
                    {
                        tail.Dequeue();
                    }

                    tail.Enqueue(text);
                }
            }
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own in the meantime.
        }
        catch (Win32Exception)
        {
            // Part of the tree could not be killed (gone, or not ours); what could be killed was.
        }
    }
}

/// <summary>How a shell command ended.</summary>
/// <param name="ExitCode">Its exit code, or null when it was killed for running too long.</param>
/// <param name="TimedOut">It ran longer than allowed and was killed.</param>
/// <param name="LastLines">Its last lines of output: the last standard output lines, then the last standard error lines
/// (which start with <c>stderr: </c> and are kept first when there are more than <see cref="ShellCommand.TailLines"/>).</param>
internal sealed record ShellCommandResult(int? ExitCode, bool TimedOut, IReadOnlyList<string> LastLines)
{
    /// <summary>" Last output: a | b" for a failure message, or "" when it wrote nothing.</summary>
    public string OutputSuffix => LastLines.Count == 0 ? "" : " Last output: " + string.Join(" | ", LastLines);
}
