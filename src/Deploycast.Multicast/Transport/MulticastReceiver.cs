using System.Net;
using System.Net.Sockets;
using Deploycast.Multicast.Receiving;

namespace Deploycast.Multicast.Transport;

/// <summary>
/// Runs a <see cref="ReceiverSession"/> over real sockets on one dedicated receive thread: group datagrams in,
/// statuses out to the sender's address (learned from its authenticated packets).
/// </summary>
public sealed class MulticastReceiver : IDisposable
{
    private readonly ReceiverSession _session;
    private readonly Socket _group;
    private readonly Socket _unicast;
    private readonly DatagramBatch _batch;
    private readonly byte[] _status = GC.AllocateArray<byte>(Protocol.Packets.PacketHeader.MaxDatagramSize, pinned: true);
    private SocketAddress? _sender;
    private ReceiverProgress? _progress;

    public MulticastReceiver(ReceiverSession session, IPAddress interfaceAddress, IPEndPoint group)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(interfaceAddress);
        ArgumentNullException.ThrowIfNull(group);
        if (!MulticastSender.IsIPv4Multicast(group.Address))
        {
            throw new ArgumentException($"{group.Address} is not an IPv4 multicast address (224.0.0.0-239.255.255.255)", nameof(group));
        }

        _session = session;
        _group = UdpSockets.CreateGroupReceiver(interfaceAddress, group.Address, group.Port);
        try
        {
            _unicast = UdpSockets.CreateUnicast(interfaceAddress);
            _batch = new DatagramBatch(_group);
        }
        catch
        {
            _group.Dispose();
            throw;
        }
    }

    /// <summary>Receives the socket failed (oversized datagrams and the like), dropped.</summary>
    public long ReceiveErrors => _batch.Errors;

    /// <summary>System calls made to take datagrams from the group socket (several datagrams each where the system allows).</summary>
    public long ReceiveCalls => _batch.Calls;

    /// <summary>Whether the system merges runs of the group's datagrams into one message (Linux <c>UDP_GRO</c>).</summary>
    public bool UsesReceiveOffload => _batch.ReceiveOffload;

    /// <summary>Messages the system handed over that held several datagrams (receive offload).</summary>
    public long MergedMessages => _batch.MergedMessages;

    /// <summary>The latest progress, refreshed about ten times a second (safe from any thread).</summary>
    public ReceiverProgress? Progress => Volatile.Read(ref _progress);

    /// <summary>Receives until the file is verified, the receiver fails, or it is cancelled (then it tells the sender it leaves).</summary>
    public Task<ReceiverResult> RunAsync(CancellationToken cancellationToken)
    {
        return DedicatedThread.Run("deploycast receiver", () => Run(cancellationToken));
    }

    private ReceiverResult Run(CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var frequency = time.TimestampFrequency;
        var start = time.GetTimestamp();
        var nextProgress = 0L;
        while (true)
        {
            var now = time.GetTimestamp();
            var gather = false;
            if (cancellationToken.IsCancellationRequested && !_session.IsFinished)
            {
                _session.Leave("cancelled");
            }

            var wait = Math.Clamp((_session.NextWakeup() - now) * 1_000_000 / frequency, 1000, 50_000);
            if (_group.Poll((int)wait, SelectMode.SelectRead))
            {
                // Drain what is queued before doing anything else; statuses wait for a quiet moment or their timer.
                var drained = 0;
                int count;
                do
                {
                    count = _batch.Receive();
                    now = time.GetTimestamp();
                    for (var i = 0; i < count; i++)
                    {
                        if (_session.OnDatagram(_batch.Datagram(i), now) && !_batch.CameFrom(i, _sender))
                        {
                            _sender = _batch.SourceAddress(i);
                        }
                    }

                    drained += count;
                }
                while (_batch.Full && drained < 256);

                gather = drained > 0 && !_batch.Full;
            }

            now = time.GetTimestamp();
            int statusLength;
            while ((statusLength = _session.TryWriteStatus(_status, now)) > 0)
            {
                if (_sender is not null)
                {
                    try
                    {
                        _unicast.SendTo(_status.AsSpan(0, statusLength), SocketFlags.None, _sender);
                    }
                    catch (SocketException)
                    {
                        // A lost status is like a lost packet: the next one carries the same information.
                    }
                }
            }

            if (now >= nextProgress)
            {
                Volatile.Write(ref _progress, MakeProgress());
                nextProgress = now + (frequency / 10);
            }

            if (_session.IsFinished && !_session.HasFinalStatuses)
            {
                break;
            }

            if (gather)
            {
                // Data is flowing and the queue is empty: statuses are out; let about a millisecond of datagrams
                // gather before the next look. A paced sender's datagrams arrive evenly spaced, and waking for each
                // one (a poll and a receive per datagram, and a switch of threads) cost more than the rest of the
                // receive path. The queueing-delay estimate takes the least delay of a status interval, which the
                // last datagram of each gathering still shows.
                Thread.Sleep(1);
            }
        }

        Volatile.Write(ref _progress, MakeProgress());
        return new ReceiverResult(
            _session.Succeeded,
            _session.Failure,
            _session.FileSize,
            _session.BytesResumed,
            TimeSpan.FromSeconds((double)(time.GetTimestamp() - (_session.FirstDataTimestamp != 0 ? _session.FirstDataTimestamp : start)) / frequency),
            _session.LongRunLoss,
            _session.PacketsReceived,
            _session.CorruptBlocks,
            _session.Drops.ToDictionary(p => p.Key.ToString(), p => p.Value),
            _session.VerifyTime,
            _session.UnneededSymbols,
            _session.Dismissed,
            _session.FallBackToUnicast,
            _session.WriteBehindTime);
    }

    private ReceiverProgress MakeProgress() => new(
        _session.Name,
        _session.FileSize,
        _session.BytesDone,
        _session.BytesResumed,
        _session.SenderEndpointKnown,
        _session.SenderState == Protocol.Packets.SessionState.Transferring,
        _session.Verifying,
        _session.SenderRateBitsPerSecond,
        _session.LongRunLoss,
        _session.CorruptBlocks,
        _session.Drops.Values.Sum());

    public void Dispose()
    {
        _group.Dispose();
        _unicast.Dispose();
        _batch.Dispose();
    }
}
