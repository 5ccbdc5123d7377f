using System.Security.Cryptography;
using Deploycast.Multicast.Receiving;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Multicast.Tests;

/// <summary>The receiver's block thread: work finishes in order, and received blocks that queue up while it is busy are
/// hashed together, each with its own SHA-256.</summary>
public sealed class ThreadBlockProcessorTests
{
    private sealed class Gate(ManualResetEventSlim open) : ReceiverWork
    {
        public override void Run() => open.Wait();
    }

    private sealed class Step(List<string> log) : ReceiverWork
    {
        public override void Run() => log.Add("step");
    }

    private sealed class Block(byte[] data, List<string> log, bool failWrite = false) : ReceiverWork, IHashedWork
    {
        public byte[]? Hash { get; private set; }

        public bool Written { get; private set; }

        public override void Run()
        {
            if (TryDecode(out var bytes))
            {
                Finish(SHA256.HashData(bytes.Span));
            }
        }

        public bool TryDecode(out ReadOnlyMemory<byte> bytes)
        {
            bytes = data;
            return true;
        }

        public void Finish(ReadOnlySpan<byte> hash)
        {
            Hash = hash.ToArray();
            if (failWrite)
            {
                throw new IOException("disk full");
            }

            Written = true;
            log.Add($"block {data.Length}");
        }
    }

    private static (ThreadBlockProcessor Processor, List<ReceiverWork> Completed, CountdownEvent Done) Start(int expected)
    {
        var completed = new List<ReceiverWork>();
        var done = new CountdownEvent(expected);
        var processor = new ThreadBlockProcessor(work =>
        {
            lock (completed)
            {
                completed.Add(work);
            }

            done.Signal();
        }, capacity: 64);
        return (processor, completed, done);
    }

    [Fact]
    public void BlocksQueuedBehindABusyThread_AreHashedTogether_EachRight_AndFinishInOrder()
    {
        var random = new Random(5);
        var log = new List<string>();
        var lengths = new[] { 5000, 5000, 5000, 777, 5000, 5000 }.Concat(Enumerable.Repeat(5000, 20)).ToArray();
        var blocks = lengths.Select(n =>
        {
            var data = new byte[n];
            random.NextBytes(data);
            return new Block(data, log);
        }).ToList();
        using var open = new ManualResetEventSlim();
        var work = new List<ReceiverWork> { new Gate(open) };
        work.AddRange(blocks.Take(10));
        work.Add(new Step(log)); // not hashed work: the blocks around it still finish in order
        work.AddRange(blocks.Skip(10));
        var (processor, completed, done) = Start(work.Count);
        using (processor)
        {
            foreach (var item in work)
            {
                processor.Submit(item);
            }

            open.Set();
            Assert.True(done.Wait(TimeSpan.FromSeconds(10)));
        }

        Assert.Null(processor.Fault);
        Assert.Equal(work, completed);
        var expectedLog = lengths.Take(10).Select(n => $"block {n}").Append("step").Concat(lengths.Skip(10).Select(n => $"block {n}"));
        Assert.Equal(expectedLog, log);
        foreach (var block in blocks)
        {
            Assert.True(block.Written);
        }

        if (MultiBufferSha256.IsSupported)
        {
            // The 25 blocks waited behind the gate: all but the odd-sized one (hashed alone) went through the lanes.
            Assert.Equal(lengths.Length - 1, processor.BlocksHashedTogether);
        }

        random = new Random(5);
        for (var i = 0; i < lengths.Length; i++)
        {
            var data = new byte[lengths[i]];
            random.NextBytes(data);
            Assert.Equal(SHA256.HashData(data), blocks[i].Hash);
        }
    }

    [Fact]
    public void AWriteThatFailsInABatch_IsTheFault_AndTheBlocksAfterItAreNotWritten()
    {
        var log = new List<string>();
        using var open = new ManualResetEventSlim();
        var blocks = Enumerable.Range(0, 8).Select(i => new Block(new byte[4096], log, failWrite: i == 3)).ToList();
        var (processor, completed, done) = Start(blocks.Count + 1);
        using (processor)
        {
            processor.Submit(new Gate(open));
            foreach (var block in blocks)
            {
                processor.Submit(block);
            }

            open.Set();
            Assert.True(done.Wait(TimeSpan.FromSeconds(10)));
        }

        Assert.IsType<IOException>(processor.Fault);
        Assert.Equal([true, true, true, false, false, false, false, false], blocks.Select(b => b.Written));
        Assert.Equal(blocks.Count + 1, completed.Count);
    }
}
