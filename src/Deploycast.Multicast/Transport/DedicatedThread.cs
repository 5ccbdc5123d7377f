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
            try
            {
                if (urgent)
                {
                    TryRaisePriority();
                }

                completion.SetResult(loop());
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
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

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
