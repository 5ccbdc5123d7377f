namespace Deploycast.Multicast.Transport;

/// <summary>
/// Runs a long blocking loop on its own thread (not the thread pool: the loops poll sockets and pace packets for
/// the whole session) and exposes its result as a task.
/// </summary>
internal static class DedicatedThread
{
    public static Task<T> Run<T>(string name, Func<T> loop)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
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
}
