using System.Text;

namespace Deploycast.Agent.Engine;

/// <summary>
/// Expands <c>%Name%</c> in step parameters from the task sequence variables, the way Configuration Manager does:
/// names without regard to case, <c>%%</c> for a literal percent sign, and a reference to a variable that is not set left
/// as written (and reported, so the log shows why a command got a literal <c>%Name%</c>). A value is expanded once:
/// a variable whose value holds <c>%Other%</c> is not expanded again, so values cannot recurse.
/// </summary>
internal static class VariableExpander
{
    /// <summary>Expands <paramref name="text"/>; names referenced but not set are added to <paramref name="undefined"/>.</summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> variables, ICollection<string>? undefined = null)
    {
        if (text.IndexOf('%') < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 16);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '%')
            {
                result.Append(c);
                i++;
                continue;
            }

            if (i + 1 < text.Length && text[i + 1] == '%')
            {
                result.Append('%');
                i += 2;
                continue;
            }

            var close = text.IndexOf('%', i + 1);
            if (close < 0)
            {
                result.Append(text, i, text.Length - i);
                break;
            }

            var name = text.AsSpan(i + 1, close - i - 1);
            if (!IsVariableName(name))
            {
                // "50% of 100%" is text, not a reference: keep the '%' and look for a reference from the next character.
                result.Append('%');
                i++;
                continue;
            }

            var key = name.ToString();
            if (variables.TryGetValue(key, out var value))
            {
                result.Append(value);
            }
            else
            {
                result.Append(text, i, close - i + 1);
                undefined?.Add(key);
            }

            i = close + 1;
        }

        return result.ToString();
    }

    /// <summary>A letter or '_', then letters, digits or '_', at most 128 characters (as the site checks them).</summary>
    public static bool IsVariableName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > 128 || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}
