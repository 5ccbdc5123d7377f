using System.CommandLine;
using System.Globalization;
using System.Text;

namespace Deploycast.Cli.Admin;

/// <summary><c>--skip</c> and <c>--take</c> of the list commands, and the query string they make.</summary>
internal sealed class PagingOptions
{
    private readonly Option<int?> _skip = new("--skip") { Description = "how many to skip (default 0)" };
    private readonly Option<int?> _take = new("--take") { Description = "how many to show (default 100, at most 1000)" };

    private PagingOptions()
    {
    }

    public static PagingOptions AddTo(Command command)
    {
        var options = new PagingOptions();
        command.Options.Add(options._skip);
        command.Options.Add(options._take);
        options._skip.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 0)
            {
                r.AddError("--skip: must be 0 or more");
            }
        });
        options._take.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 or > 1000)
            {
                r.AddError("--take: must be from 1 to 1000");
            }
        });
        return options;
    }

    public int Skip(ParseResult result) => result.GetValue(_skip) ?? 0;

    /// <summary>The path with <c>?skip=&amp;take=</c> and any other parameters that have a value.</summary>
    public string Query(ParseResult result, string path, params (string Name, string? Value)[] parameters) =>
        WithQuery(path, [.. parameters, ("skip", Format(result.GetValue(_skip))), ("take", Format(result.GetValue(_take)))]);

    public static string WithQuery(string path, params (string Name, string? Value)[] parameters)
    {
        var query = new StringBuilder(path);
        var separator = '?';
        foreach (var (name, value) in parameters)
        {
            if (value is not null)
            {
                query.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
                separator = '&';
            }
        }

        return query.ToString();
    }

    private static string? Format(int? value) => value?.ToString(CultureInfo.InvariantCulture);
}
