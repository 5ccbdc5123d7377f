using Deploycast.Agent.Content;
using Deploycast.Agent.Engine;
using Deploycast.Client;

namespace Deploycast.Agent.Tests.Content;

public sealed class DownloadProgressReporterTests
{
    [Fact]
    public void MulticastProgress_ReadsAsPercentAndRate()
    {
        var clock = new ManualClock();
        var log = new ProgressLog<StepProgress>();
        var reporter = new DownloadProgressReporter("DC100001", log, clock);
        reporter.Report(new DownloadProgress("multicast", 0, 100_000_000, null));
        clock.Advance(TimeSpan.FromSeconds(2));
        reporter.Report(new DownloadProgress("multicast", 63_000_000, 100_000_000, null));

        Assert.Equal(new StepProgress(0, "Receiving DC100001 by multicast: 0%"), log.Reports[0]);
        Assert.Equal(new StepProgress(63, "Receiving DC100001 by multicast: 63%, 31.5 MB/s"), log.Reports[1]);
    }

    [Fact]
    public void Streaming_NamesTheDestination_WithTheRate()
    {
        var clock = new ManualClock();
        var log = new ProgressLog<StepProgress>();
        var reporter = new DownloadProgressReporter("DC100001", log, clock);
        reporter.Report(new DownloadProgress("streaming", 0, 100_000_000, "/dev/sda"));
        clock.Advance(TimeSpan.FromSeconds(2));
        reporter.Report(new DownloadProgress("streaming", 40_000_000, 100_000_000, "/dev/sda"));

        Assert.Equal(new StepProgress(0, "Streaming DC100001 to /dev/sda: 0%"), log.Reports[0]);
        Assert.Equal(new StepProgress(40, "Streaming DC100001 to /dev/sda: 40%, 20 MB/s"), log.Reports[1]);
    }

    [Fact]
    public void FallbackToUnicast_KeepsThePercent_AndNamesTheMethod()
    {
        var clock = new ManualClock();
        var log = new ProgressLog<StepProgress>();
        var phases = new List<string>();
        var reporter = new DownloadProgressReporter("DC100001", log, clock, phases.Add);
        reporter.Report(new DownloadProgress("multicast", 40, 100, null));
        reporter.Report(new DownloadProgress("unicast", 10, 100, null));
        reporter.Report(new DownloadProgress("unicast", 90, 100, null));

        Assert.Equal([40, 40, 90], log.Reports.Select(r => r.Percent));
        Assert.StartsWith("Receiving DC100001 by unicast: 40%", log.Reports[1].Text, StringComparison.Ordinal);
        Assert.Equal(["multicast", "unicast"], phases);
    }

    [Fact]
    public void WaitingForAScheduledSession_SaysWhy()
    {
        var log = new ProgressLog<StepProgress>();
        var reporter = new DownloadProgressReporter("DC100001", log, new ManualClock());
        reporter.Report(new DownloadProgress("wait", 0, 100, "Waiting for scheduled multicast session DC100001-1 to start: 1 of 20 clients"));
        Assert.Equal("Waiting for a multicast session of DC100001: Waiting for scheduled multicast session DC100001-1 to start: 1 of 20 clients", Assert.Single(log.Reports).Text);
    }
}
