namespace Deploycast.Site.Model;

/// <summary>A named set of devices: its direct members plus every device a membership rule matches.</summary>
/// <param name="Id">The collection ID, for example <c>DC200001</c>; the built-in ones are <c>DCS00001</c> (All
/// Systems) and <c>DCS00002</c> (All Unknown Computers).</param>
/// <param name="Name">A display name, unique in the site.</param>
/// <param name="Description">Free text, or null.</param>
/// <param name="Rules">Query rules; a device is a member when any rule matches it.</param>
/// <param name="Created">When it was made.</param>
public sealed record Collection(
    string Id,
    string Name,
    string? Description,
    IReadOnlyList<CollectionRule> Rules,
    DateTimeOffset Created);

/// <summary>A membership rule.</summary>
/// <param name="Kind">What the rule tests.</param>
/// <param name="Value">
/// <see cref="CollectionRuleKind.NamePattern"/>: a name with <c>*</c> and <c>?</c> wildcards, without regard to case;
/// <see cref="CollectionRuleKind.MacPrefix"/>: the first 1 to 6 bytes of a MAC address (<c>00:15:5d</c>);
/// <see cref="CollectionRuleKind.IPv4Subnet"/>: a subnet in CIDR form (<c>198.18.4.0/24</c>).
/// </param>
public sealed record CollectionRule(CollectionRuleKind Kind, string Value);

/// <summary>Kinds of membership rule.</summary>
public enum CollectionRuleKind
{
    /// <summary>The computer name matches a wildcard pattern.</summary>
    NamePattern,

    /// <summary>One of the MAC addresses starts with a prefix.</summary>
    MacPrefix,

    /// <summary>The last reported IPv4 address is in a subnet.</summary>
    IPv4Subnet,
}
