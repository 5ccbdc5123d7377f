namespace Deploycast.DistributionPoint.Status;

/// <summary>Receives the distribution point's status messages (the host forwards them to the site).</summary>
public interface IDistributionPointStatusSink
{
    /// <summary>Records one message. Called outside the scheduler's lock, possibly from several threads at once; should not block.</summary>
    void Record(DistributionPointStatus status);
}
