using System.Runtime.InteropServices;

namespace Deploycast.Multicast.Transport;

/// <summary>
/// Runs a long blocking loop on its own thread (not the thread pool: the loops poll sockets and pace packets for
/// the whole session) and exposes its result as a task.
/// </summary>
internal static partial class DedicatedThread
{
    /// <summary>The nice value a pacing thread asks for (Linux; lower runs sooner).</summary>
    public const int PacingNice = -10;

    /// <param name="urgent">
    /// The loop paces packets: on Linux the thread asks for nice <see cref="PacingNice"/>, so a busy host wakes it on
    /// time (a late wake-up is sending time lost). Without the privilege (CAP_SYS_NICE) it keeps the default.
    /// </param>
    public static Task<T> Run<T>(string name, Func<T> loop, bool urgent = false)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            // Threads a thread starts inherit its nice value (on Linux, the thread pool's too): the loop's is given
            // back before the result is handed on, so no continuation starts a thread that keeps the raised priority.
            var raised = urgent && TryRaisePriority();
            T result;
            try
            {
                result = loop();
            }
            catch (Exception e)
            {
                RestorePriority(raised);
                completion.SetException(e);
                return;
            }

            RestorePriority(raised);
            completion.SetResult(result);
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return completion.Task;
    }

    /// <summary>Whether the calling thread now runs at <see cref="PacingNice"/>.</summary>
    public static bool TryRaisePriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            // On Linux a nice value belongs to a thread: PRIO_PROCESS with a thread id changes that thread alone.
            return SetPriority(0 /* PRIO_PROCESS */, GetThreadId(), PacingNice) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static void RestorePriority(bool raised)
    {
        if (raised)
        {
            // Lowering one's own priority needs no privilege.
            _ = SetPriority(0 /* PRIO_PROCESS */, GetThreadId(), ProcessNice());
        }
    }

    /// <summary>The process's nice value (its main thread's), which a thread starts with.</summary>
    private static int ProcessNice()
    {
        // On Linux "who" names a thread: the process id is its main thread. getpriority returns the value itself, and
        // -1 can be a real nice value, so errno tells a failure.
        var nice = GetPriority(0 /* PRIO_PROCESS */, Environment.ProcessId);
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? 0 : nice;
    }

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
