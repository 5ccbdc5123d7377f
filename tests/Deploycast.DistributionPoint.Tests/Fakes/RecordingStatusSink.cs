using System.Collections.Concurrent;
using Deploycast.DistributionPoint.Status;

namespace Deploycast.DistributionPoint.Tests.Fakes;

internal sealed class RecordingStatusSink : IDistributionPointStatusSink
{
    private readonly ConcurrentQueue<DistributionPointStatus> _messages = new();

    public IReadOnlyList<DistributionPointStatus> Messages => _messages.ToList();

    public IReadOnlyList<DistributionPointStatus> WithId(int messageId) => Messages.Where(m => m.MessageId == messageId).ToList();

    public void Record(DistributionPointStatus status) => _messages.Enqueue(status);
}
