using System.Collections.Concurrent;

namespace Deploycast.Multicast.Receiving;

/// <summary>
/// One dedicated thread that runs receiver work in order. The queue is bounded: when the disk or the CPU cannot
/// keep up, the receive loop waits, the socket buffer fills, and the loss shows in the receiver's reports.
/// Two semaphores count queued items and free places, so neither side allocates to wait.
/// </summary>
internal sealed class ThreadBlockProcessor : IBlockProcessor
{
    private readonly ConcurrentQueue<ReceiverWork> _queue = new();
    private readonly SemaphoreSlim _items = new(0);
    private readonly SemaphoreSlim _places;
    private readonly Action<ReceiverWork> _completed;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public ThreadBlockProcessor(Action<ReceiverWork> completed, int capacity)
    {
        _completed = completed;
        _places = new SemaphoreSlim(capacity);
        _thread = new Thread(Run) { IsBackground = true, Name = "deploycast block processor" };
        _thread.Start();
    }

    /// <summary>The first exception work threw (for example, the disk is full); the receiver fails with it.</summary>
    public Exception? Fault { get; private set; }

    public void Submit(ReceiverWork work)
    {
        _places.Wait();
        _queue.Enqueue(work);
        _items.Release();
    }

    private void Run()
    {
        while (true)
        {
            _items.Wait();
            if (!_queue.TryDequeue(out var work))
            {
                if (_stopping)
                {
                    return;
                }

                continue;
            }

            _places.Release();
            Fault = work.RunUnless(Fault);
            _completed(work);
        }
    }

    /// <summary>Finishes the queued work, then stops the thread.</summary>
    public void Dispose()
    {
        _stopping = true;
        _items.Release();
        _thread.Join();
        _items.Dispose();
        _places.Dispose();
    }
}
