namespace Deploycast.Multicast.Receiving;

/// <summary>
/// One dedicated thread that runs receiver work in order. The queue is bounded: when the disk or the CPU cannot
/// keep up, the receive loop waits, the socket buffer fills, and the loss shows in the receiver's reports.
/// Both sides wait on a monitor, which sleeps at once: a block arrives every millisecond or two and takes a fraction
/// of that to check, so the thread waits most of the time, and semaphores that spin and yield before sleeping spent
/// more CPU waiting (in four receivers on two cores) than the page-cache writes of every block.
/// </summary>
internal sealed class ThreadBlockProcessor : IBlockProcessor
{
    private readonly Queue<ReceiverWork> _queue;
    private readonly int _capacity;
    private readonly object _gate = new();
    private readonly Action<ReceiverWork> _completed;
    private readonly Thread _thread;
    private bool _stopping;
    private bool _workerWaiting;
    private bool _submitterWaiting;

    public ThreadBlockProcessor(Action<ReceiverWork> completed, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _completed = completed;
        _capacity = capacity;
        _queue = new Queue<ReceiverWork>(capacity);
        _thread = new Thread(Run) { IsBackground = true, Name = "deploycast block processor" };
        _thread.Start();
    }

    /// <summary>The first exception work threw (for example, the disk is full); the receiver fails with it.</summary>
    public Exception? Fault { get; private set; }

    public void Submit(ReceiverWork work)
    {
        lock (_gate)
        {
            while (_queue.Count >= _capacity)
            {
                _submitterWaiting = true;
                Monitor.Wait(_gate);
            }

            _queue.Enqueue(work);
            if (_workerWaiting)
            {
                _workerWaiting = false;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private void Run()
    {
        while (true)
        {
            ReceiverWork work;
            lock (_gate)
            {
                while (_queue.Count == 0)
                {
                    if (_stopping)
                    {
                        return;
                    }

                    _workerWaiting = true;
                    Monitor.Wait(_gate);
                }

                work = _queue.Dequeue();
                if (_submitterWaiting)
                {
                    _submitterWaiting = false;
                    Monitor.PulseAll(_gate);
                }
            }

            Fault = work.RunUnless(Fault);
            _completed(work);
        }
    }

    /// <summary>Finishes the queued work, then stops the thread.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        _thread.Join();
    }
}
