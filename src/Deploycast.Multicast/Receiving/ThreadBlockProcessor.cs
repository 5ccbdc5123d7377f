using System.Threading.Channels;

namespace Deploycast.Multicast.Receiving;

/// <summary>
/// One dedicated thread that runs receiver work in order. The queue is bounded: when the disk or the CPU cannot
/// keep up, the receive loop waits, the socket buffer fills, and the loss shows in the receiver's reports.
/// </summary>
internal sealed class ThreadBlockProcessor : IBlockProcessor
{
    private readonly Channel<ReceiverWork> _queue;
    private readonly Action<ReceiverWork> _completed;
    private readonly Thread _thread;

    public ThreadBlockProcessor(Action<ReceiverWork> completed, int capacity)
    {
        _completed = completed;
        _queue = Channel.CreateBounded<ReceiverWork>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        _thread = new Thread(Run) { IsBackground = true, Name = "deploycast block processor" };
        _thread.Start();
    }

    /// <summary>The first exception work threw (for example, the disk is full); the receiver fails with it.</summary>
    public Exception? Fault { get; private set; }

    public void Submit(ReceiverWork work)
    {
        while (!_queue.Writer.TryWrite(work))
        {
            if (!_queue.Writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
            {
                return;
            }
        }
    }

    private void Run()
    {
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var work))
            {
                Fault = work.RunUnless(Fault);
                _completed(work);
            }
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join();
    }
}
