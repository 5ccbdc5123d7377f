using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Deploycast.Site.Management;
using Deploycast.Site.Model;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Deploycast.Cli.Admin;

/// <summary><c>deploycast status</c>: a deployment's status as ConfigMgr's Deployment Status shows it, and status messages.</summary>
internal static class StatusCommand
{
    /// <summary>How often <c>--watch</c> asks again.</summary>
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(2);

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var id = new Argument<string?>("deploymentId") { Description = "the deployment ID, e.g. DC400001", Arity = ArgumentArity.ZeroOrOne };
        var watch = new Option<bool>("--watch", "-w") { Description = "refresh every 2 s until every targeted device has succeeded or failed (or Ctrl+C)" };
        var command = new Command("status", "Show a deployment's status: Success, In progress, Error and Unknown counts, then each device.")
        {
            id, watch, Messages(),
        };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var deployment = result.GetValue(id) ?? throw new UsageException("give a deployment ID (deploycast status DC400001), or use 'deploycast status messages'");
            var path = Paths.Of("api/v1/deployments", deployment, "summary");
            if (!result.GetValue(watch))
            {
                var response = await context.Site.GetAsync<DeploymentSummary>(path, cancellationToken).ConfigureAwait(false);
                if (context.Json)
                {
                    context.WriteJson(response.Json);
                }
                else
                {
                    context.Write(Render(context, response.Value));
                }

                return ExitCodes.Success;
            }

            return await WatchAsync(context, path, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> WatchAsync(AdminContext context, string path, CancellationToken cancellationToken)
    {
        try
        {
            if (context.IsTerminal && !context.Json)
            {
                var first = await context.Site.GetAsync<DeploymentSummary>(path, cancellationToken).ConfigureAwait(false);
                await context.Console.Live(Render(context, first.Value)).StartAsync(async live =>
                {
                    var summary = first.Value;
                    while (!IsDone(summary))
                    {
                        await Task.Delay(WatchInterval, cancellationToken).ConfigureAwait(false);
                        summary = (await context.Site.GetAsync<DeploymentSummary>(path, cancellationToken).ConfigureAwait(false)).Value;
                        live.UpdateTarget(Render(context, summary));
                    }
                }).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            // Into a file or a pipe: a new table (or JSON line) only when something changed.
            string? previous = null;
            while (true)
            {
                var response = await context.Site.GetAsync<DeploymentSummary>(path, cancellationToken).ConfigureAwait(false);
                var snapshot = Snapshot(response);
                if (snapshot != previous)
                {
                    if (context.Json)
                    {
                        context.Line(snapshot);
                    }
                    else
                    {
                        context.Line($"-- {DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}");
                        context.Write(Render(context, response.Value));
                    }

                    await context.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    previous = snapshot;
                }

                if (IsDone(response.Value))
                {
                    return ExitCodes.Success;
                }

                await Task.Delay(WatchInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C is how a watch ends before the deployment does.
            return ExitCodes.Success;
        }
    }

    /// <summary>The summary as one line of JSON, to compare with the last one and to print with --json.</summary>
    private static string Snapshot(SiteResponse<DeploymentSummary> response)
    {
        using var document = JsonDocument.Parse(response.Json);
        return JsonSerializer.Serialize(document.RootElement, Compact);
    }

    /// <summary>Every targeted device has ended, in success or error.</summary>
    private static bool IsDone(DeploymentSummary summary) => summary.Success + summary.Error >= summary.Targeted;

    private static Rows Render(AdminContext context, DeploymentSummary s)
    {
        var d = s.Deployment;
        var items = new List<IRenderable>
        {
            new Text($"Deployment {d.Id}: task sequence {d.TaskSequenceId} to collection {d.CollectionId} ({d.Purpose})"),
            new Text(string.Create(CultureInfo.InvariantCulture,
                $"Targeted {s.Targeted}   Success {s.Success}   In progress {s.InProgress}   Error {s.Error}   Unknown {s.Unknown}")),
        };
        if (s.Devices.Count > 0)
        {
            var table = context.Table("Device", "Name", "State", "Step", "Progress", "Last message", "Updated");
            foreach (var device in s.Devices)
            {
                var state = device.State;
                AdminContext.Row(table,
                    device.DeviceId.ToString(CultureInfo.InvariantCulture),
                    device.DeviceName,
                    Words(state?.State ?? DeploymentState.Unknown),
                    state?.Step is { } step ? $"{(step + 1).ToString(CultureInfo.InvariantCulture)} {state.StepName}".Trim() : null,
                    state?.Progress is { } progress ? $"{progress.ToString(CultureInfo.InvariantCulture)}%" : null,
                    state?.Message,
                    state is null ? null : AdminContext.Time(state.Updated));
            }

            items.Add(table);
        }

        return new Rows(items);
    }

    /// <summary>Deployment states in the words of ConfigMgr's Deployment Status tabs.</summary>
    private static string Words(DeploymentState state) => state switch
    {
        DeploymentState.InProgress => "In progress",
        _ => state.ToString(),
    };

    private static Command Messages()
    {
        var device = new Option<long?>("--device") { Description = "only messages about this device id" };
        var deployment = new Option<string?>("--deployment") { Description = "only messages about this deployment ID" };
        var command = new Command("messages", "Show status messages from agents, distribution points and the site, newest first.") { device, deployment };
        var paging = PagingOptions.AddTo(command);
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var query = paging.Query(result, "api/v1/status-messages",
                ("deviceId", result.GetValue(device)?.ToString(CultureInfo.InvariantCulture)),
                ("deploymentId", result.GetValue(deployment)));
            var response = await context.Site.GetAsync<PagedResult<StatusMessage>>(query, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var table = context.Table("Time", "Severity", "Source", "Component", "Message ID", "Device", "Deployment", "Text");
            foreach (var m in response.Value.Items)
            {
                AdminContext.Row(table, AdminContext.Time(m.Time), m.Severity.ToString(), m.Source.ToString(), m.Component,
                    m.MessageId.ToString(CultureInfo.InvariantCulture), m.DeviceId?.ToString(CultureInfo.InvariantCulture), m.DeploymentId, m.Text);
            }

            if (response.Value.Items.Count > 0)
            {
                context.Write(table);
            }

            context.Footer(response.Value.Items.Count, response.Value.Total, paging.Skip(result), "status messages");
            return ExitCodes.Success;
        });
        return command;
    }
}
