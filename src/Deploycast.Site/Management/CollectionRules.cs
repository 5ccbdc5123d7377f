using System.Net;
using System.Text.RegularExpressions;
using Deploycast.Site.Model;

namespace Deploycast.Site.Management;

/// <summary>Checks and evaluates collection membership rules.</summary>
public static class CollectionRules
{
    /// <summary>Most rules one collection may have.</summary>
    public const int MaxRules = 100;

    /// <summary>Checks rules and returns them normalized (MAC prefixes in <c>aa:bb</c> form, subnets in canonical CIDR form).</summary>
    internal static IReadOnlyList<CollectionRule> Normalize(IReadOnlyList<CollectionRule>? rules, ValidationErrors errors)
    {
        if (rules is null)
        {
            return [];
        }

        if (rules.Count > MaxRules)
        {
            errors.Add("rules", $"A collection may have at most {MaxRules} rules; it has {rules.Count}.");
            return [];
        }

        var normalized = new List<CollectionRule>(rules.Count);
        for (var i = 0; i < rules.Count; i++)
        {
            var field = $"rules[{i}]";
            var rule = rules[i];
            if (rule is null || !Enum.IsDefined(rule.Kind))
            {
                errors.Add($"{field}.kind", $"Unknown rule kind; the kinds are {string.Join(", ", Enum.GetNames<CollectionRuleKind>())}.");
                continue;
            }

            switch (rule.Kind)
            {
                case CollectionRuleKind.NamePattern:
                    if (string.IsNullOrWhiteSpace(rule.Value) || rule.Value.Length > 256)
                    {
                        errors.Add($"{field}.value", "A name pattern is 1 to 256 characters, with * and ? as wildcards.");
                    }
                    else
                    {
                        normalized.Add(rule with { Value = rule.Value.Trim() });
                    }

                    break;
                case CollectionRuleKind.MacPrefix:
                    if (Identifiers.NormalizeMacPrefix(rule.Value) is { } prefix)
                    {
                        normalized.Add(rule with { Value = prefix });
                    }
                    else
                    {
                        errors.Add($"{field}.value", $"'{rule.Value}' is not a MAC prefix: give 1 to 6 hex bytes, like 00:15:5d.");
                    }

                    break;
                case CollectionRuleKind.IPv4Subnet:
                    if (IPNetwork.TryParse(rule.Value, out var network) && network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                        && rule.Value.Split('/')[0].Count(c => c == '.') == 3
                        && IPAddress.TryParse(rule.Value.Split('/')[0], out var given) && given.Equals(network.BaseAddress))
                    {
                        normalized.Add(rule with { Value = network.ToString() });
                    }
                    else
                    {
                        errors.Add($"{field}.value", $"'{rule.Value}' is not an IPv4 subnet in CIDR form like 198.18.4.0/24 (host bits must be zero).");
                    }

                    break;
            }
        }

        return normalized;
    }

    /// <summary>Whether any rule matches the device.</summary>
    public static bool Matches(IReadOnlyList<CollectionRule> rules, Device device) => rules.Any(rule => Matches(rule, device));

    /// <summary>Whether one rule matches the device.</summary>
    public static bool Matches(CollectionRule rule, Device device) => rule.Kind switch
    {
        CollectionRuleKind.NamePattern => WildcardMatch(rule.Value, device.Name),
        CollectionRuleKind.MacPrefix => device.MacAddresses.Any(mac => mac.StartsWith(rule.Value, StringComparison.OrdinalIgnoreCase)
            && (mac.Length == rule.Value.Length || mac[rule.Value.Length] == ':')),
        CollectionRuleKind.IPv4Subnet => device.IPv4Address is { } text && IPAddress.TryParse(text, out var address)
            && IPNetwork.TryParse(rule.Value, out var network) && network.Contains(address),
        _ => false,
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    private static bool WildcardMatch(string pattern, string name)
    {
        // Compiled once per pattern: policy is resolved for every agent poll, against every name rule.
        var regex = Patterns.GetOrAdd(pattern, static p => new Regex(
            "^" + Regex.Escape(p).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)));
        if (Patterns.Count > 10_000)
        {
            Patterns.Clear();
        }

        return regex.IsMatch(name);
    }
}
