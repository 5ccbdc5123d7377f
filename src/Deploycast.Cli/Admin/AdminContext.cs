using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Deploycast.Cli.Admin;

/// <summary>What an admin command works with: the site client and where its output goes.</summary>
internal sealed class AdminContext
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public AdminContext(SiteClient site, TextWriter output, TextWriter error, bool json)
    {
        Site = site;
        Output = output;
        Error = error;
        Json = json;
        IsTerminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = IsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!IsTerminal)
        {
            // Into a file or a pipe, a table keeps its rows on one line each rather than wrapping at 80 columns.
            Console.Profile.Width = 240;
        }
    }

    public SiteClient Site { get; }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    /// <summary>Print the API's JSON instead of tables.</summary>
    public bool Json { get; }

    /// <summary>Whether the output is a terminal (live displays, box-drawing borders).</summary>
    public bool IsTerminal { get; }

    public IAnsiConsole Console { get; }

    /// <summary>
    /// Field names of the request as the API reports them, mapped to the option that sets them, so a field error can
    /// say which option to fix.
    /// </summary>
    public IReadOnlyDictionary<string, string> FieldOptions { get; set; } = new Dictionary<string, string>();

    /// <summary>Prints a response's JSON, indented.</summary>
    public void WriteJson(string json)
    {
        if (json.Length == 0)
        {
            return;
        }

        using var document = JsonDocument.Parse(json);
        Output.WriteLine(JsonSerializer.Serialize(document.RootElement, Indented));
    }

    public void Line(string text) => Output.WriteLine(text);

    public void Write(IRenderable renderable) => Console.Write(renderable);

    /// <summary>A table with the given column headers, in the house style.</summary>
    public Table Table(params string[] columns)
    {
        var table = new Table { Border = IsTerminal ? TableBorder.Rounded : TableBorder.Ascii };
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }

        return table;
    }

    /// <summary>A two-column property table: what, value.</summary>
    public Table Properties(IEnumerable<(string Name, string? Value)> rows)
    {
        var table = Table("Property", "Value");
        foreach (var (name, value) in rows)
        {
            table.AddRow(Cell(name), Cell(value));
        }

        return table;
    }

    /// <summary>Adds a row of plain text (never markup: names and paths may hold brackets).</summary>
    public static void Row(Table table, params string?[] cells) => table.AddRow(cells.Select(Cell).ToArray());

    /// <summary>Says how much of a list was shown when the list is longer.</summary>
    public void Footer(int shown, long total, int skip, string noun)
    {
        if (shown == 0 && total == 0)
        {
            Line($"No {noun}.");
        }
        else if (total > shown)
        {
            Line($"Showing {noun} {(shown == 0 ? 0 : skip + 1)}-{skip + shown} of {total}; use --skip and --take for more.");
        }
    }

    /// <summary>Prints problem details on stderr: status and title, detail, and each field error with its option.</summary>
    public void PrintProblem(Problem problem)
    {
        Error.WriteLine($"error: {problem.Status} {problem.Title}");
        var fieldMessages = problem.Errors.SelectMany(e => e.Value).ToList();

        // The DP repeats every field message in its detail; once is enough.
        if (problem.Detail is { } detail && !(fieldMessages.Count > 0 && fieldMessages.All(m => detail.Contains(m, StringComparison.Ordinal))))
        {
            Error.WriteLine($"  {detail}");
        }

        foreach (var (field, messages) in problem.Errors)
        {
            var option = FieldOptions.TryGetValue(field, out var name) ? $" ({name})" : string.Empty;
            foreach (var message in messages)
            {
                Error.WriteLine($"  {field}{option}: {message}");
            }
        }

        if (problem.Status == 401 && !Site.HasToken)
        {
            Error.WriteLine($"  give the administrator token with --token or ${AdminOptions.TokenVariable}");
        }
    }

    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";

    public static string YesNo(bool value) => value ? "Yes" : "No";

    private static Text Cell(string? text) => new(text ?? "-");
}
