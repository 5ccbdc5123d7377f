using System.Collections.Concurrent;
using Deploycast.Content.Library;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.Multicast;
using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Transport;
using Microsoft.Extensions.Logging;

namespace Deploycast.DistributionPoint.Hosting;

/// <summary>Runs the scheduler's sessions as real UDP multicast senders over content from the library.</summary>
internal sealed class UdpMulticastSessionFactory(ContentLibrary library, ILoggerFactory loggers) : IMulticastSessionFactory
{
    public IMulticastSession Start(MulticastSessionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var item = library.Get(plan.Content.ContentId)
            ?? throw new InvalidOperationException($"content {plan.Content.ContentId} of package {plan.Content.PackageId} version {plan.Content.Version} is not in the content library");
        if (!library.IsServable(item))
        {
            throw new InvalidOperationException($"content {item.ContentId} of package {plan.Content.PackageId} version {plan.Content.Version} is {item.State.ToString().ToLowerInvariant()} or changed since it was validated; it is not served (run content validation)");
        }

        var options = DistributionPointDefaults.SenderOptions with
        {
            MaxRate = plan.MaxRate,
            InitialRate = plan.MaxRate is { } max ? Math.Min(max, SenderOptions.Default.InitialRate) : SenderOptions.Default.InitialRate,
            MinReceivers = plan.MinReceivers,
            MaxWait = plan.MaxWait,
            Key = plan.Key,
            Name = $"{plan.Content.PackageId} v{plan.Content.Version}",
        };
        var content = new FileSenderContent(item.DataPath);
        SenderSession? session = null;
        try
        {
            session = new SenderSession(item.Manifest, content, options);
            var sender = new MulticastSender(session, plan.Interface, plan.Group, MulticastDefaults.Ttl, loggers.CreateLogger<MulticastSender>());
            return new RunningSession(session, sender, content);
        }
        catch
        {
            session?.Dispose();
            content.Dispose();
            throw;
        }
    }

    private sealed class RunningSession : IMulticastSession
    {
        private readonly SenderSession _session;
        private readonly MulticastSender _sender;
        private readonly FileSenderContent _content;
        private readonly ConcurrentQueue<ReceiverEvent> _events = new();
        private readonly CancellationTokenSource _cancel = new();
        private readonly Task<SenderSummary> _run;

        public RunningSession(SenderSession session, MulticastSender sender, FileSenderContent content)
        {
            _session = session;
            _sender = sender;
            _content = content;
            SessionId = session.SessionId;
            _sender.ReceiverEvent += _events.Enqueue;
            _run = _sender.RunAsync(_cancel.Token);
        }

        public uint SessionId { get; }

        public bool IsFinished => _run.IsCompleted;

        public string? Failure => _run.IsFaulted ? _run.Exception!.GetBaseException().Message : _session.Failure;

        public SenderSummary? Snapshot => _sender.Snapshot;

        public IReadOnlyList<ReceiverEvent> TakeEvents()
        {
            if (_events.IsEmpty)
            {
                return [];
            }

            var list = new List<ReceiverEvent>();
            while (_events.TryDequeue(out var e))
            {
                list.Add(e);
            }

            return list;
        }

        public void Dismiss(uint receiverId, bool fallBackToUnicast) => _sender.Dismiss(receiverId, fallBackToUnicast);

        public void Stop() => _sender.Finish();

        public void Dispose()
        {
            if (!_run.IsCompleted)
            {
                _sender.Finish();
                if (!_run.Wait(TimeSpan.FromSeconds(2)))
                {
                    _cancel.Cancel();
                    _run.Wait(TimeSpan.FromSeconds(2));
                }
            }

            _sender.ReceiverEvent -= _events.Enqueue;
            _sender.Dispose();
            _session.Dispose();
            _content.Dispose();
            _cancel.Dispose();
        }
    }
}
