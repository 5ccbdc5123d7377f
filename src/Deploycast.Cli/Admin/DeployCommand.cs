using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Cli.Admin;

/// <summary><c>deploycast deploy</c> and <c>deploycast deployment</c>: task sequences offered to collections.</summary>
internal static class DeployCommand
{
    private const string DeploymentsPath = "api/v1/deployments";

    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["taskSequenceId"] = "--task-sequence",
        ["collectionId"] = "--collection",
        ["purpose"] = "--required",
        ["deadline"] = "--deadline",
        ["available"] = "--available",
        ["contentOption"] = "--content-option",
    };

    public static Command Create()
    {
        var sequence = new Option<string>("--task-sequence") { Description = "the task sequence ID", Required = true };
        var collection = new Option<string>("--collection") { Description = "the collection ID", Required = true };
        var required = new Option<bool>("--required") { Description = "required: runs by itself at the deadline (default: available, runs when asked)" };
        var deadline = TimeOption("--deadline", "for a required deployment, when it runs (ISO 8601, e.g. 2026-05-01T22:00:00+02:00; default: as soon as possible)");
        var available = TimeOption("--available", "when it becomes available (ISO 8601; default: now)");
        var content = new Option<string>("--content-option")
        {
            Description = "when-needed: download content locally when needed by the running task sequence (the only one multicast serves); "
                + "all-before: download all content locally before starting; direct: access content directly from a distribution point",
            DefaultValueFactory = _ => "when-needed",
        };
        content.AcceptOnlyFromAmong("when-needed", "all-before", "direct");
        var noFallback = new Option<bool>("--no-unicast-fallback") { Description = "do not let the agent download by HTTP when multicast is not available or fails" };
        var command = new Command("deploy", "Deploy a task sequence to a collection.")
        {
            sequence, collection, required, deadline, available, content, noFallback,
        };
        command.Validators.Add(r =>
        {
            if (r.GetResult(deadline) is not null && !r.GetValue(required))
            {
                r.AddError("--deadline goes with --required: only a required deployment has a deadline");
            }
        });
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            context.FieldOptions = Fields;
            var definition = new DeploymentDefinition(
                result.GetRequiredValue(sequence),
                result.GetRequiredValue(collection),
                result.GetValue(required) ? DeploymentPurpose.Required : DeploymentPurpose.Available,
                result.GetValue(available),
                result.GetValue(deadline),
                result.GetValue(content) switch
                {
                    "all-before" => ContentOption.DownloadAllBeforeStarting,
                    "direct" => ContentOption.AccessDirectly,
                    _ => ContentOption.DownloadLocallyWhenNeeded,
                },
                !result.GetValue(noFallback));
            var response = await context.Site.SendJsonAsync<Deployment>(HttpMethod.Post, DeploymentsPath, definition, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var d = response.Value;
            context.Line($"Deployed task sequence {d.TaskSequenceId} to collection {d.CollectionId}: deployment {d.Id}.");
            context.Write(context.Properties(
            [
                ("Deployment ID", d.Id),
                ("Purpose", d.Purpose.ToString()),
                ("Available", d.Available is null ? "now" : AdminContext.Time(d.Available)),
                ("Deadline", d.Purpose == DeploymentPurpose.Required ? (d.Deadline is null ? "as soon as possible" : AdminContext.Time(d.Deadline)) : null),
                ("Content", Describe(d.ContentOption)),
                ("Allow unicast fallback", AdminContext.YesNo(d.AllowUnicastFallback)),
            ]));
            context.Line($"Follow it with: deploycast status {d.Id} --watch");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateDeployment() => new("deployment", "List and delete deployments.")
    {
        List(), Delete(),
    };

    private static Command List()
    {
        var command = new Command("list", "List deployments.");
        var paging = PagingOptions.AddTo(command);
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<PagedResult<Deployment>>(paging.Query(result, DeploymentsPath), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var table = context.Table("ID", "Task sequence", "Collection", "Purpose", "Available", "Deadline", "Content", "Unicast fallback");
            foreach (var d in response.Value.Items)
            {
                AdminContext.Row(table, d.Id, d.TaskSequenceId, d.CollectionId, d.Purpose.ToString(), d.Available is null ? "now" : AdminContext.Time(d.Available),
                    AdminContext.Time(d.Deadline), Short(d.ContentOption), AdminContext.YesNo(d.AllowUnicastFallback));
            }

            if (response.Value.Items.Count > 0)
            {
                context.Write(table);
            }

            context.Footer(response.Value.Items.Count, response.Value.Total, paging.Skip(result), "deployments");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Delete()
    {
        var id = new Argument<string>("id") { Description = "the deployment ID, e.g. DC400001" };
        var command = new Command("delete", "Delete a deployment: devices no longer get it in their policy.") { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            await context.Site.SendAsync(HttpMethod.Delete, Paths.Of(DeploymentsPath, result.GetRequiredValue(id)), null, SiteClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            if (!context.Json)
            {
                context.Line($"Deleted deployment {result.GetRequiredValue(id)}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Option<DateTimeOffset?> TimeOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r => ParseTime(r, name),
    };

    private static DateTimeOffset? ParseTime(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var time))
        {
            return time;
        }

        result.AddError($"{name}: '{text}' is not a time; use ISO 8601 like 2026-05-01T22:00:00+02:00 (without an offset, local time)");
        return null;
    }

    private static string Describe(ContentOption option) => option switch
    {
        ContentOption.DownloadAllBeforeStarting => "Download all content locally before starting task sequence",
        ContentOption.AccessDirectly => "Access content directly from a distribution point",
        _ => "Download content locally when needed by the running task sequence",
    };

    private static string Short(ContentOption option) => option switch
    {
        ContentOption.DownloadAllBeforeStarting => "all-before",
        ContentOption.AccessDirectly => "direct",
        _ => "when-needed",
    };
}
