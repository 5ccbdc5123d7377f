using Deploycast.Agent.Content;
using Deploycast.Agent.Engine;
using Deploycast.Agent.Logging;
using Deploycast.Agent.Site;
using Deploycast.Agent.Steps;
using Deploycast.Site.Model;

namespace Deploycast.Agent;

/// <summary>
/// What <c>deploycast agent</c> does: registers the computer, waits for approval if it must, fetches policy, runs the
/// required deployments that are due (and the available one named by <c>--run</c>), and keeps polling, or with
/// <c>--once</c> exits when those have run. Exit codes are <see cref="AgentExitCodes"/>.
/// </summary>
public static class AgentRunner
{
    private const string Component = "Agent";

    public static async Task<int> RunAsync(AgentOptions options, TextWriter? console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var log = new AgentLog(options.DataDirectory, console);
        using var site = new SiteConnection(options, log);
        var device = DeviceIdentity.Describe(options);
        log.Info(Component, $"Deploycast agent starting: server {options.Server}, computer '{device.Name}', MAC {string.Join(", ", device.MacAddresses ?? [])}, data {options.DataDirectory}.");
        if (device.MacAddresses is not { Count: > 0 } && device.SmbiosUuid is null)
        {
            log.Error(Component, "This computer has no MAC address or SMBIOS UUID to register with; give one with --mac or --uuid.");
            return AgentExitCodes.Usage;
        }

        string? siteKey = null;
        var content = new ContentSource(options, () => site.Credential, () => siteKey, log);
        var engine = new TaskSequenceEngine(
            [new ApplyImageStep(content), new RunCommandLineStep(TimeProvider.System), new SetVariableStep(), new RestartComputerStep(TimeProvider.System)],
            site,
            log,
            options,
            TimeProvider.System,
            (deployment, workDirectory, progress, ct) => deployment.ContentOption == ContentOption.DownloadAllBeforeStarting
                ? content.PrepareAllAsync(deployment, workDirectory, progress, ct)
                : Task.CompletedTask);

        var failed = false;
        var ranRequested = false;
        while (true)
        {
            DevicePolicy? policy;
            try
            {
                policy = await site.GetPolicyAsync(device, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return AgentExitCodes.Interrupted;
            }
            catch (Exception e) when (e is HttpRequestException or SiteRequestException or TaskCanceledException or System.Security.Authentication.AuthenticationException)
            {
                log.Error(Component, $"Cannot get policy from {options.Server}: {e.Message}");
                if (options.Once)
                {
                    return AgentExitCodes.Usage;
                }

                policy = null;
            }

            if (policy is not null)
            {
                siteKey = policy.SiteKey;
                var toRun = policy.Deployments.Where(d => d.Due).ToList();
                if (options.RunDeployment is { } requested)
                {
                    var asked = policy.Deployments.FirstOrDefault(d => string.Equals(d.DeploymentId, requested, StringComparison.OrdinalIgnoreCase));
                    if (asked is null && options.Once)
                    {
                        log.Error(Component, $"Deployment {requested} is not deployed to this computer (its policy has {(policy.Deployments.Count == 0 ? "none" : string.Join(", ", policy.Deployments.Select(d => d.DeploymentId)))}).");
                        return AgentExitCodes.Failed;
                    }

                    if (asked is not null && !ranRequested && !toRun.Contains(asked))
                    {
                        toRun.Add(asked);
                    }
                }

                foreach (var deployment in toRun)
                {
                    var rerun = !ranRequested && string.Equals(deployment.DeploymentId, options.RunDeployment, StringComparison.OrdinalIgnoreCase);
                    TaskSequenceResult result;
                    try
                    {
                        result = await engine.RunAsync(deployment, rerun, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        log.Warning(Component, $"Stopped while running {deployment.DeploymentId}; it resumes at the same step when the agent starts again.");
                        return AgentExitCodes.Interrupted;
                    }

                    ranRequested |= rerun;
                    if (result.AlreadyFinished)
                    {
                        continue;
                    }

                    log.Info(Component, $"Deployment {deployment.DeploymentId}: {result.Outcome}. {result.Message}");
                    if (result.Outcome == TaskSequenceOutcome.RestartPending)
                    {
                        await FlushAsync(site, log, cancellationToken).ConfigureAwait(false);
                        return AgentExitCodes.RestartPending;
                    }

                    failed |= result.Outcome == TaskSequenceOutcome.Failed;
                }

                await FlushAsync(site, log, cancellationToken).ConfigureAwait(false);
                if (options.Once)
                {
                    return failed ? AgentExitCodes.Failed : AgentExitCodes.Success;
                }
            }
            else if (options.Once && site.IsBlocked)
            {
                return AgentExitCodes.Blocked;
            }
            else if (options.Once && site.Identity is not null)
            {
                log.Info(Component, "Waiting for approval; run the agent again once an administrator approves this computer.");
                return AgentExitCodes.NotApproved;
            }

            try
            {
                await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return AgentExitCodes.Interrupted;
            }
        }
    }

    private static async Task FlushAsync(SiteConnection site, AgentLog log, CancellationToken cancellationToken)
    {
        var left = await site.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (left > 0)
        {
            log.Warning(Component, $"{left} status message(s) wait to be sent; they go with the next contact.");
        }
    }
}

/// <summary>How <c>deploycast agent</c> exits.</summary>
public static class AgentExitCodes
{
    /// <summary>Everything that ran succeeded (or nothing was due).</summary>
    public const int Success = 0;

    /// <summary>A deployment failed (its status messages say which step and why).</summary>
    public const int Failed = 1;

    /// <summary>Bad options, or the site server could not be reached or trusted (with --once).</summary>
    public const int Usage = 2;

    /// <summary>A Restart Computer step ran its command; start the agent again after the restart to continue.</summary>
    public const int RestartPending = 3;

    /// <summary>The computer waits for an administrator's approval (with --once).</summary>
    public const int NotApproved = 4;

    /// <summary>An administrator blocked this computer (with --once).</summary>
    public const int Blocked = 5;

    /// <summary>Stopped (Ctrl+C, SIGTERM); a deployment in progress resumes at the same step next time.</summary>
    public const int Interrupted = 130;
}
