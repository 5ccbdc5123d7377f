using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Cli.Admin;

/// <summary><c>deploycast tasksequence</c>: ordered steps the agent runs.</summary>
internal static class TaskSequenceCommand
{
    private const string TaskSequencesPath = "api/v1/task-sequences";

    /// <summary>The step the <c>--apply</c> shortcut makes, named as the task sequence editor names it.</summary>
    public const string ApplyStepName = "Apply Operating System Image";

    public static Command Create() => new("tasksequence", "Create task sequences and look at them and at the step types.")
    {
        CreateSequence(), List(), Show(), StepTypes(),
    };

    private static Command CreateSequence()
    {
        var name = new Option<string>("--name", "-n") { Description = "the task sequence's name", Required = true };
        var description = new Option<string?>("--description") { Description = "free text" };
        var file = new Option<FileInfo?>("--file") { Description = "a JSON file with the steps: an array of {name, type, parameters, continueOnError, condition}, or an object with a \"steps\" array" };
        var apply = new Option<string?>("--apply") { Description = "shortcut: one 'Apply Operating System Image' step for this package ID" };
        var index = new Option<int?>("--index") { Description = "with --apply: the WIM image index to apply" };
        var destination = new Option<string?>("--destination") { Description = "with --apply: where to apply (a directory for a WIM, a block device or file for a raw image)" };
        var command = new Command("create", "Create a task sequence from a steps file, or with --apply a one-step sequence that applies an OS image.")
        {
            name, description, file, apply, index, destination,
        };
        command.Validators.Add(r =>
        {
            var hasFile = r.GetResult(file) is not null;
            var hasApply = r.GetResult(apply) is not null;
            if (hasFile == hasApply)
            {
                r.AddError("give either --file <steps.json> or --apply <packageId> --destination <path>");
            }
            else if (hasApply && r.GetResult(destination) is null)
            {
                r.AddError("--apply needs --destination: where the image is applied");
            }
            else if (hasFile && (r.GetResult(index) is not null || r.GetResult(destination) is not null))
            {
                r.AddError("--index and --destination go with --apply, not with --file");
            }
        });
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            IReadOnlyList<TaskSequenceStep> steps;
            if (result.GetValue(file) is { } stepsFile)
            {
                steps = await ReadStepsAsync(stepsFile, cancellationToken).ConfigureAwait(false);
                context.FieldOptions = new Dictionary<string, string>(StringComparer.Ordinal) { ["name"] = "--name", ["steps"] = "--file" };
            }
            else
            {
                var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["package"] = result.GetValue(apply)!,
                    ["destination"] = result.GetValue(destination)!,
                };
                if (result.GetValue(index) is { } i)
                {
                    parameters["imageIndex"] = i.ToString(CultureInfo.InvariantCulture);
                }

                steps = [new TaskSequenceStep(ApplyStepName, StepType.ApplyOperatingSystemImage, parameters)];
                context.FieldOptions = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["name"] = "--name",
                    ["steps[0].parameters.package"] = "--apply",
                    ["steps[0].parameters.imageIndex"] = "--index",
                    ["steps[0].parameters.destination"] = "--destination",
                };
            }

            var definition = new TaskSequenceDefinition(result.GetRequiredValue(name), result.GetValue(description), steps);
            var response = await context.Site.SendJsonAsync<TaskSequence>(HttpMethod.Post, TaskSequencesPath, definition, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            context.Line($"Created task sequence {response.Value.Id} \"{response.Value.Name}\" with {response.Value.Steps.Count} step(s).");
            context.Write(StepsTable(context, response.Value.Steps));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List task sequences.");
        var paging = PagingOptions.AddTo(command);
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<PagedResult<TaskSequence>>(paging.Query(result, TaskSequencesPath), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var table = context.Table("ID", "Name", "Steps", "Description", "Modified");
            foreach (var t in response.Value.Items)
            {
                AdminContext.Row(table, t.Id, t.Name, t.Steps.Count.ToString(CultureInfo.InvariantCulture), t.Description, AdminContext.Time(t.Modified));
            }

            if (response.Value.Items.Count > 0)
            {
                context.Write(table);
            }

            context.Footer(response.Value.Items.Count, response.Value.Total, paging.Skip(result), "task sequences");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "the task sequence ID, e.g. DC300001" };
        var command = new Command("show", "Show a task sequence's steps in order, with their parameters.") { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<TaskSequence>(Paths.Of(TaskSequencesPath, result.GetRequiredValue(id)), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var t = response.Value;
            context.Line($"{t.Id} \"{t.Name}\"{(t.Description is null ? string.Empty : $": {t.Description}")} (modified {AdminContext.Time(t.Modified)})");
            context.Write(StepsTable(context, t.Steps));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command StepTypes()
    {
        var command = new Command("step-types", "List the step types and the parameters each takes.");
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<Dictionary<string, List<StepParameter>>>($"{TaskSequencesPath}/step-types", cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var table = context.Table("Step type", "Parameter", "Required", "Kind", "Description");
            foreach (var (type, parameters) in response.Value)
            {
                var first = true;
                foreach (var p in parameters)
                {
                    var range = p.Kind == StepParameterKind.Integer ? $" ({p.Min.ToString(CultureInfo.InvariantCulture)} to {p.Max.ToString(CultureInfo.InvariantCulture)})" : string.Empty;
                    AdminContext.Row(table, first ? type : string.Empty, p.Name, AdminContext.YesNo(p.Required), p.Kind + range, p.Description);
                    first = false;
                }

                if (first)
                {
                    AdminContext.Row(table, type, "(none)", string.Empty, string.Empty, string.Empty);
                }
            }

            context.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Spectre.Console.Table StepsTable(AdminContext context, IReadOnlyList<TaskSequenceStep> steps)
    {
        var table = context.Table("#", "Name", "Type", "Parameters", "Continue on error", "Condition");
        for (var i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            var parameters = string.Join(Environment.NewLine, s.Parameters.Select(p => $"{p.Key} = {p.Value}"));
            var condition = s.Condition is { } c ? $"{c.Variable} {c.Operator}{(c.Value is null ? string.Empty : " " + c.Value)}" : null;
            AdminContext.Row(table, (i + 1).ToString(CultureInfo.InvariantCulture), s.Name, s.Type.ToString(), parameters, AdminContext.YesNo(s.ContinueOnError), condition);
        }

        return table;
    }

    private static async Task<IReadOnlyList<TaskSequenceStep>> ReadStepsAsync(FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = file.OpenRead();
            using var document = await JsonDocument.ParseAsync(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }, cancellationToken).ConfigureAwait(false);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("steps", out var inner))
            {
                root = inner;
            }

            if (root.ValueKind != JsonValueKind.Array)
            {
                throw new UsageException($"--file: {file.FullName} holds neither an array of steps nor an object with a \"steps\" array");
            }

            return root.Deserialize<List<TaskSequenceStep>>(SiteClient.Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new UsageException($"--file: {file.FullName} is not a valid steps file: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--file: cannot read {file.FullName}: {e.Message}");
        }
    }
}
