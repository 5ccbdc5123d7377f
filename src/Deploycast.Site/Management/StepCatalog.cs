using System.Globalization;
using System.Text.RegularExpressions;
using Deploycast.Site.Model;

namespace Deploycast.Site.Management;

/// <summary>The parameters each step type takes, their types, defaults and checks.</summary>
public static partial class StepCatalog
{
    /// <summary>Most steps a task sequence may have.</summary>
    public const int MaxSteps = 200;

    private static readonly StepParameter Package = new("package", StepParameterKind.PackageRef, Required: true, "The package ID whose content the step applies.");
    private static readonly StepParameter ImageIndex = new("imageIndex", StepParameterKind.Integer, Required: false, "For a WIM package, the image index to apply (1 or more); required for WIM, refused otherwise.", Min: 1, Max: 10_000);
    private static readonly StepParameter Destination = new("destination", StepParameterKind.Text, Required: true, "Where to apply: a directory for a WIM, a block device or file for a raw image, a file path for any other file.");

    private static readonly Dictionary<StepType, StepParameter[]> Catalog = new()
    {
        [StepType.ApplyOperatingSystemImage] = [Package, ImageIndex, Destination],
        [StepType.ApplyDataImage] = [Package, ImageIndex, Destination],
        [StepType.RunCommandLine] =
        [
            new("commandLine", StepParameterKind.Text, Required: true, "The command, run by /bin/sh -c (cmd.exe /c on Windows)."),
            new("workingDirectory", StepParameterKind.Text, Required: false, "The directory it starts in; default the deployment's work directory on the agent (<data>/deployments/<deployment id>)."),
            new("timeoutSeconds", StepParameterKind.Integer, Required: false, "Seconds before the command is killed and the step fails; default 3600.", Min: 1, Max: 7 * 86_400, Default: "3600"),
            new("successCodes", StepParameterKind.IntegerList, Required: false, "Exit codes that mean success, separated by spaces or commas; default 0.", Default: "0"),
        ],
        [StepType.SetVariable] =
        [
            new("name", StepParameterKind.VariableName, Required: true, "The variable's name: a letter or '_', then letters, digits or '_'."),
            new("value", StepParameterKind.Text, Required: true, "Its value; may be empty and may use other variables."),
        ],
        [StepType.RestartComputer] =
        [
            new("command", StepParameterKind.Text, Required: false, "The command that restarts the computer; default the agent's configured restart command."),
        ],
    };

    /// <summary>The parameters a step type takes.</summary>
    public static IReadOnlyList<StepParameter> Parameters(StepType type) => Catalog[type];

    /// <summary>Whether a variable name is well formed.</summary>
    public static bool IsVariableName(string? name) => name is not null && VariableName().IsMatch(name);

    /// <summary>
    /// Checks steps against the catalog and the packages they name. <paramref name="packages"/> holds every package the
    /// steps name that exists (by id, without regard to case), with its newest version.
    /// </summary>
    internal static void Validate(
        IReadOnlyList<TaskSequenceStep>? steps,
        IReadOnlyDictionary<string, (Package Package, PackageVersion? Latest)> packages,
        ValidationErrors errors)
    {
        if (steps is null || steps.Count == 0)
        {
            errors.Add("steps", "A task sequence needs at least one step.");
            return;
        }

        if (steps.Count > MaxSteps)
        {
            errors.Add("steps", $"A task sequence may have at most {MaxSteps} steps; it has {steps.Count}.");
            return;
        }

        for (var i = 0; i < steps.Count; i++)
        {
            var path = $"steps[{i}]";
            var step = steps[i];
            if (step is null)
            {
                errors.Add(path, "A step must be an object.");
                continue;
            }

            errors.Name($"{path}.name", step.Name);
            if (!Enum.IsDefined(step.Type))
            {
                errors.Add($"{path}.type", $"Unknown step type; the types are {string.Join(", ", Enum.GetNames<StepType>())}.");
                continue;
            }

            ValidateParameters(path, step, packages, errors);
            ValidateCondition(path, step.Condition, errors);
        }
    }

    /// <summary>Reads an integer list parameter ("0 3010" or "0,3010").</summary>
    public static IReadOnlyList<int>? ParseIntegerList(string text)
    {
        var parts = text.Split([' ', ',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new List<int>(parts.Length);
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            {
                return null;
            }

            values.Add(v);
        }

        return values.Count == 0 ? null : values;
    }

    private static void ValidateParameters(
        string path,
        TaskSequenceStep step,
        IReadOnlyDictionary<string, (Package Package, PackageVersion? Latest)> packages,
        ValidationErrors errors)
    {
        var definitions = Catalog[step.Type];
        var given = step.Parameters ?? new Dictionary<string, string>();
        foreach (var name in given.Keys)
        {
            if (!definitions.Any(d => d.Name == name))
            {
                errors.Add($"{path}.parameters.{name}", $"{step.Type} has no parameter '{name}'; it takes {string.Join(", ", definitions.Select(d => d.Name))}.");
            }
        }

        foreach (var definition in definitions)
        {
            var field = $"{path}.parameters.{definition.Name}";
            if (!given.TryGetValue(definition.Name, out var value) || value is null)
            {
                if (definition.Required)
                {
                    errors.Add(field, $"{step.Type} needs '{definition.Name}': {definition.Description}");
                }

                continue;
            }

            switch (definition.Kind)
            {
                case StepParameterKind.Text when definition.Required && definition.Name != "value" && string.IsNullOrWhiteSpace(value):
                    errors.Add(field, $"'{definition.Name}' must not be empty.");
                    break;
                case StepParameterKind.Integer:
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < definition.Min || n > definition.Max)
                    {
                        errors.Add(field, $"'{definition.Name}' must be a whole number from {definition.Min} to {definition.Max}; it is '{value}'.");
                    }

                    break;
                case StepParameterKind.IntegerList when ParseIntegerList(value) is null:
                    errors.Add(field, $"'{definition.Name}' must be whole numbers separated by spaces or commas; it is '{value}'.");
                    break;
                case StepParameterKind.VariableName when !IsVariableName(value):
                    errors.Add(field, $"'{value}' is not a variable name: use a letter or '_', then letters, digits or '_' (at most 128).");
                    break;
                case StepParameterKind.PackageRef:
                    ValidatePackage(field, path, value, given, packages, errors);
                    break;
            }
        }
    }

    private static void ValidatePackage(
        string field,
        string path,
        string packageId,
        IReadOnlyDictionary<string, string> given,
        IReadOnlyDictionary<string, (Package Package, PackageVersion? Latest)> packages,
        ValidationErrors errors)
    {
        if (!packages.TryGetValue(packageId, out var found))
        {
            errors.Add(field, $"There is no package '{packageId}'.");
            return;
        }

        var indexField = $"{path}.parameters.imageIndex";
        var hasIndex = given.TryGetValue("imageIndex", out var indexText);
        if (found.Package.ImageType == ImageType.Wim)
        {
            if (!hasIndex)
            {
                errors.Add(indexField, $"Package {found.Package.Id} is a WIM: name the image index to apply.");
            }
            else if (found.Latest?.ImageCount is { } count
                && int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index > count)
            {
                errors.Add(indexField, $"Package {found.Package.Id} version {found.Latest.Version} holds {count} image(s); there is no index {index}.");
            }
        }
        else if (hasIndex)
        {
            errors.Add(indexField, $"Package {found.Package.Id} is a {found.Package.ImageType} image, which has no image index; remove 'imageIndex'.");
        }
    }

    private static void ValidateCondition(string path, StepCondition? condition, ValidationErrors errors)
    {
        if (condition is null)
        {
            return;
        }

        if (!IsVariableName(condition.Variable))
        {
            errors.Add($"{path}.condition.variable", $"'{condition.Variable}' is not a variable name.");
        }

        if (!Enum.IsDefined(condition.Operator))
        {
            errors.Add($"{path}.condition.operator", $"Unknown operator; the operators are {string.Join(", ", Enum.GetNames<ConditionOperator>())}.");
        }
        else if (condition.Operator is ConditionOperator.Equals or ConditionOperator.NotEquals && condition.Value is null)
        {
            errors.Add($"{path}.condition.value", $"{condition.Operator} needs a value to compare with.");
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex VariableName();
}

/// <summary>One parameter of a step type.</summary>
public sealed record StepParameter(
    string Name,
    StepParameterKind Kind,
    bool Required,
    string Description,
    long Min = 0,
    long Max = long.MaxValue,
    string? Default = null);

/// <summary>Parameter types.</summary>
public enum StepParameterKind
{
    /// <summary>Text; may use variables.</summary>
    Text,

    /// <summary>A whole number in a range.</summary>
    Integer,

    /// <summary>Whole numbers separated by spaces or commas.</summary>
    IntegerList,

    /// <summary>A task sequence variable's name.</summary>
    VariableName,

    /// <summary>A package ID.</summary>
    PackageRef,
}
