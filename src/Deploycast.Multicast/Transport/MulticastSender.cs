using System.Net;
using System.Net.Sockets;
using Deploycast.Multicast.Sending;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deploycast.Multicast.Transport;

/// <summary>
/// Runs a <see cref="SenderSession"/> over a real UDP multicast socket on one dedicated thread: it reads receivers'
/// statuses, asks the session for paced packets and sends runs of equal-size data packets with one system call
/// (UDP segmentation offload where Linux has it).
/// </summary>
public sealed class MulticastSender : IDisposable
{
    private const int MaxSegments = 40;

    private readonly SenderSession _session;
    private readonly Socket _socket;
    private readonly SocketAddress _group;
    private readonly ILogger _logger;
    private readonly bool _segmentation;
    private readonly byte[] _batch;
    private readonly byte[] _receive = GC.AllocateArray<byte>(Protocol.Packets.PacketHeader.MaxDatagramSize, pinned: true);
    private readonly SocketAddress _from = new(AddressFamily.InterNetwork);
    private SenderSummary? _snapshot;

    private readonly System.Collections.Concurrent.ConcurrentQueue<Action<SenderSession>> _commands = new();

    public MulticastSender(SenderSession session, IPAddress interfaceAddress, IPEndPoint group, int ttl = MulticastDefaults.Ttl, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(interfaceAddress);
        ArgumentNullException.ThrowIfNull(group);
        if (!IsIPv4Multicast(group.Address))
        {
            throw new ArgumentException($"{group.Address} is not an IPv4 multicast address (224.0.0.0-239.255.255.255)", nameof(group));
        }

        _session = session;
        _logger = logger ?? NullLogger.Instance;
        _socket = UdpSockets.CreateSender(interfaceAddress, ttl);
        _group = group.Serialize();
        _segmentation = UdpSockets.TryEnableSegmentation(_socket, session.DataDatagramSize);
        _batch = GC.AllocateArray<byte>((MaxSegments * session.DataDatagramSize) + Protocol.Packets.PacketHeader.MaxDatagramSize, pinned: true);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The address receivers send their statuses to.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends the local network stack refused (its queue was full); those datagrams were lost.</summary>
    public long SendErrors { get; private set; }

    /// <summary>Loop turns that came more than 4 ms after the previous one (a busy host delays the pacer).</summary>
    public long LateLoops { get; private set; }

    /// <summary>The longest time between two loop turns.</summary>
    public TimeSpan LongestGap { get; private set; }

    /// <summary>Time spent building and sending packets.</summary>
    public TimeSpan SendTime { get; private set; }

    /// <summary>The last error a send met, if any.</summary>
    public SocketError? LastSendError { get; private set; }

    /// <summary>Whether runs of data packets go out with one system call.</summary>
    public bool UsesSegmentation => _segmentation;

    /// <summary>The latest summary, refreshed about ten times a second (safe from any thread).</summary>
    public SenderSummary? Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Receiver events (joined, slow, completed, lost), raised on the sending thread.</summary>
    public event Action<ReceiverEvent>? ReceiverEvent;

    /// <summary>Disconnects a receiver (slow-client policy); safe from any thread, applied by the send loop.</summary>
    public void Dismiss(uint receiverId, bool fallBackToUnicast) =>
        _commands.Enqueue(session => session.Dismiss(receiverId, fallBackToUnicast));

    /// <summary>Ends the session (see <see cref="SenderSession.Finish"/>); safe from any thread.</summary>
    public void Finish() => _commands.Enqueue(session => session.Finish());

    public static bool IsIPv4Multicast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    /// <summary>Sends until the session ends; cancelling announces the end to receivers first.</summary>
    public Task<SenderSummary> RunAsync(CancellationToken cancellationToken)
    {
        return DedicatedThread.Run("deploycast sender", () => Run(cancellationToken), urgent: true);
    }

    private SenderSummary Run(CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var frequency = time.TimestampFrequency;
        var nextSnapshot = 0L;
        var cancelled = false;
        var lastLoop = 0L;
        while (!_session.IsFinished)
        {
            var now = time.GetTimestamp();
            if (cancellationToken.IsCancellationRequested && !cancelled)
            {
                cancelled = true;
                _session.Cancel();
            }

            if (lastLoop != 0)
            {
                var gap = now - lastLoop;
                var gapTime = TimeSpan.FromSeconds((double)gap / frequency);
                LongestGap = gapTime > LongestGap ? gapTime : LongestGap;
                if (gap > frequency / 250)
                {
                    LateLoops++;
                }
            }

            lastLoop = now;
            while (_commands.TryDequeue(out var command))
            {
                command(_session);
            }

            ReceiveStatuses(now);
            var sendStart = time.GetTimestamp();
            SendDue(now);
            SendTime += TimeSpan.FromSeconds((double)(time.GetTimestamp() - sendStart) / frequency);
            foreach (var e in _session.TakeEvents())
            {
                SenderLog.ReceiverEvent(_logger, e.Kind, e.ReceiverId, e.Detail);
                ReceiverEvent?.Invoke(e);
            }

            if (now >= nextSnapshot)
            {
                Volatile.Write(ref _snapshot, _session.GetSummary(now));
                nextSnapshot = now + (frequency / 20);
            }

            var wait = _session.NextWakeup(time.GetTimestamp()) - time.GetTimestamp();
            if (wait > 0)
            {
                // poll() sleeps in whole milliseconds; the pacer's burst allowance covers the slack.
                _socket.Poll((int)Math.Clamp(wait * 1_000_000 / frequency, 1000, 20_000), SelectMode.SelectRead);
            }
        }

        var summary = _session.GetSummary(time.GetTimestamp());
        Volatile.Write(ref _snapshot, summary);
        return summary;
    }

    private void ReceiveStatuses(long now)
    {
        while (_socket.Available > 0)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(_receive, SocketFlags.None, _from);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }

            _session.OnDatagram(_receive.AsSpan(0, length), now);
        }
    }

    private void SendDue(long now)
    {
        var dataSize = _session.DataDatagramSize;
        var batched = 0;
        while (true)
        {
            var offset = batched * dataSize;
            var length = _session.TryWriteNextPacket(_batch.AsSpan(offset), now);
            if (length == 0)
            {
                break;
            }

            if (length == dataSize && _segmentation)
            {
                if (++batched == MaxSegments)
                {
                    Send(_batch.AsSpan(0, batched * dataSize));
                    batched = 0;
                }

                continue;
            }

            if (batched > 0)
            {
                Send(_batch.AsSpan(0, offset));
                batched = 0;
            }

            Send(_batch.AsSpan(offset, length));
        }

        if (batched > 0)
        {
            Send(_batch.AsSpan(0, batched * dataSize));
        }
    }

    private void Send(ReadOnlySpan<byte> datagrams)
    {
        try
        {
            _socket.SendTo(datagrams, SocketFlags.None, _group);
        }
        catch (SocketException e)
        {
            // A full queue (ENOBUFS) drops these packets as a congested link would, and receivers report the loss.
            // Other errors (no route, a firewall) are counted too; receivers that hear nothing are lost in time.
            SendErrors++;
            LastSendError = e.SocketErrorCode;
            SenderLog.SendDropped(_logger, e.SocketErrorCode);
        }
    }

    public void Dispose() => _socket.Dispose();
}

internal static partial class SenderLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{Kind} {ReceiverId:x8}: {Detail}")]
    public static partial void ReceiverEvent(ILogger logger, ReceiverEventKind kind, uint receiverId, string detail);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Trace, Message = "send dropped: {Error}")]
    public static partial void SendDropped(ILogger logger, SocketError error);
}
