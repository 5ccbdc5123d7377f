namespace Deploycast.Site.Management;

/// <summary>A request the site refuses because of its content; each error names its field (JSON path).</summary>
public sealed class SiteValidationException(IReadOnlyDictionary<string, string[]> errors)
    : Exception(string.Join("; ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public static SiteValidationException One(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>Collects field errors and throws them together.</summary>
internal sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    /// <summary>Checks a required display name: 1 to 256 characters, no control characters.</summary>
    public string? Name(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, $"{field} is required.");
            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length > 256)
        {
            Add(field, $"{field} must be at most 256 characters; it has {trimmed.Length}.");
        }
        else if (trimmed.Any(char.IsControl))
        {
            Add(field, $"{field} must not contain control characters.");
        }

        return trimmed;
    }

    public string? Description(string field, string? value)
    {
        if (value is { Length: > 4000 })
        {
            Add(field, $"{field} must be at most 4000 characters; it has {value.Length}.");
        }

        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    public void ThrowIfAny()
    {
        if (Any)
        {
            throw new SiteValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        }
    }
}

/// <summary>A request about an object the site does not have (404).</summary>
public sealed class SiteNotFoundException(string message) : Exception(message);

/// <summary>A request that clashes with the site's state (409), for example deleting a collection that is deployed to.</summary>
/// <param name="field">The request field whose value clashes, when one does; the problem details name it in <c>errors</c>.</param>
public sealed class SiteConflictException(string message, string? field = null) : Exception(message)
{
    public string? Field { get; } = field;
}

/// <summary>A caller that is known but may not do this (403), for example a device reading what is not deployed to it.</summary>
public sealed class SiteForbiddenException(string message) : Exception(message);
