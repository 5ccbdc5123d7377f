using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Deploycast.DistributionPoint.Hosting;

/// <summary>Ticks the session scheduler: due scheduled sessions start, slow clients are handled, idle sessions end.</summary>
internal sealed class SchedulerHeartbeat(DistributionPointRole role, IOptions<DistributionPointOptions> options, TimeProvider time, ILogger<SchedulerHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SchedulerInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    role.Scheduler.Tick();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    DistributionPointLog.HeartbeatFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
