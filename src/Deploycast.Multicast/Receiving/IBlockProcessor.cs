namespace Deploycast.Multicast.Receiving;

/// <summary>
/// Runs the receiver's heavy work (decoding, hashing, writing, checkpoints, the final verification) away from the
/// receive loop. Work finishes in submission order; each finished item is handed back through the callback given
/// at start.
/// </summary>
internal interface IBlockProcessor : IDisposable
{
    void Submit(ReceiverWork work);

    /// <summary>The first I/O error work met (for example, the disk is full); the receiver fails with it.</summary>
    Exception? Fault { get; }
}

/// <summary>A unit of receiver work; <see cref="Run"/> executes on the processor's thread.</summary>
internal abstract class ReceiverWork
{
    public abstract void Run();

    /// <summary>Runs the work unless an earlier one failed; returns the first I/O failure (a full disk, a lost mount).</summary>
    public Exception? RunUnless(Exception? fault)
    {
        if (fault is not null)
        {
            return fault;
        }

        try
        {
            Run();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e;
        }
    }
}

/// <summary>Runs work at once on the caller's thread (deterministic simulations).</summary>
internal sealed class InlineBlockProcessor(Action<ReceiverWork> completed) : IBlockProcessor
{
    public Exception? Fault { get; private set; }

    public void Submit(ReceiverWork work)
    {
        Fault = work.RunUnless(Fault);
        completed(work);
    }

    public void Dispose()
    {
    }
}
