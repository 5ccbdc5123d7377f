using System.Collections.Concurrent;
using System.Security.Cryptography;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Multicast.Receiving;

/// <summary>
/// One dedicated thread that runs receiver work in order. The queue is bounded: when the disk or the CPU cannot
/// keep up, the receive loop waits, the socket buffer fills, and the loss shows in the receiver's reports.
/// Two semaphores count queued items and free places, so neither side allocates to wait.
/// When the thread has fallen behind and several received blocks wait in a row, it decodes them, hashes them together
/// (sixteen SHA-256 lanes, <see cref="MultiBufferSha256"/>, where the CPU has AVX-512), then checks and writes them in
/// order: the same work as one at a time, with the hashing (most of a receiver's CPU) a good deal cheaper.
/// </summary>
internal sealed class ThreadBlockProcessor : IBlockProcessor
{
    private readonly ConcurrentQueue<ReceiverWork> _queue = new();
    private readonly SemaphoreSlim _items = new(0);
    private readonly SemaphoreSlim _places;
    private readonly Action<ReceiverWork> _completed;
    private readonly Thread _thread;
    private readonly ReceiverWork[] _batch = new ReceiverWork[MultiBufferSha256.Lanes];
    private readonly ReadOnlyMemory<byte>[] _data = new ReadOnlyMemory<byte>[MultiBufferSha256.Lanes];
    private readonly bool[] _decoded = new bool[MultiBufferSha256.Lanes];
    private readonly byte[] _hashes = new byte[MultiBufferSha256.Lanes * TransferManifest.HashSize];
    private readonly byte[] _scratch = new byte[MultiBufferSha256.Lanes * TransferManifest.HashSize];
    private readonly ReadOnlyMemory<byte>[] _group = new ReadOnlyMemory<byte>[MultiBufferSha256.Lanes];
    private readonly int[] _groupIndex = new int[MultiBufferSha256.Lanes];
    private volatile bool _stopping;

    public ThreadBlockProcessor(Action<ReceiverWork> completed, int capacity)
    {
        _completed = completed;
        _places = new SemaphoreSlim(capacity);
        _thread = new Thread(Run) { IsBackground = true, Name = "deploycast block processor" };
        _thread.Start();
    }

    /// <summary>Blocks whose SHA-256 was computed in a batch of several (diagnostics and tests).</summary>
    public long BlocksHashedTogether { get; private set; }

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
            if (work is IHashedWork && Fault is null && MultiBufferSha256.IsSupported && TakeBatch(work) is var count and > 1)
            {
                RunBatch(count);
                for (var i = 0; i < count; i++)
                {
                    _completed(_batch[i]);
                    _batch[i] = null!;
                    _data[i] = default;
                }

                continue;
            }

            Fault = work.RunUnless(Fault);
            _completed(work);
        }
    }

    /// <summary>Puts <paramref name="first"/> and the hashed work queued right after it (up to a full set of lanes)
    /// in the batch; returns how many.</summary>
    private int TakeBatch(ReceiverWork first)
    {
        _batch[0] = first;
        var count = 1;
        while (count < _batch.Length && _queue.TryPeek(out var next) && next is IHashedWork && _items.Wait(0))
        {
            // One consumer: the item peeked at is the one taken.
            _queue.TryDequeue(out next);
            _places.Release();
            _batch[count++] = next!;
        }

        return count;
    }

    private void RunBatch(int count)
    {
        try
        {
            for (var i = 0; i < count; i++)
            {
                _decoded[i] = ((IHashedWork)_batch[i]).TryDecode(out _data[i]);
            }

            // Blocks of one length are hashed together (all but a session's last block have the same length).
            Span<bool> hashed = stackalloc bool[count];
            for (var i = 0; i < count; i++)
            {
                if (!_decoded[i] || hashed[i])
                {
                    continue;
                }

                var members = 0;
                for (var j = i; j < count; j++)
                {
                    if (_decoded[j] && !hashed[j] && _data[j].Length == _data[i].Length)
                    {
                        _group[members] = _data[j];
                        _groupIndex[members++] = j;
                        hashed[j] = true;
                    }
                }

                if (members == 1)
                {
                    SHA256.HashData(_data[i].Span, Hash(i));
                    continue;
                }

                MultiBufferSha256.Hash(_group.AsSpan(0, members), _scratch);
                BlocksHashedTogether += members;
                for (var m = 0; m < members; m++)
                {
                    _scratch.AsSpan(m * TransferManifest.HashSize, TransferManifest.HashSize).CopyTo(Hash(_groupIndex[m]));
                }
            }

            for (var i = 0; i < count; i++)
            {
                if (_decoded[i])
                {
                    ((IHashedWork)_batch[i]).Finish(Hash(i));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // As one at a time: the first failure is kept, and the work after it is not done.
            Fault = e;
        }
    }

    private Span<byte> Hash(int index) => _hashes.AsSpan(index * TransferManifest.HashSize, TransferManifest.HashSize);

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
