using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Deploycast.Site.Api;
using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Cli.Admin;

/// <summary><c>deploycast collection</c>: named sets of devices, by query rules and direct members.</summary>
internal static class CollectionCommand
{
    private const string CollectionsPath = "api/v1/collections";

    public static Command Create() => new("collection", "Create collections, add and remove members, list them.")
    {
        CreateCollection(), Add(), Remove(), List(), Members(), Delete(),
    };

    private static Command CreateCollection()
    {
        var name = new Option<string>("--name", "-n") { Description = "the collection's name (unique in the site)", Required = true };
        var description = new Option<string?>("--description") { Description = "free text" };
        var rules = new Option<CollectionRule[]>("--rule")
        {
            Description = "a query rule, repeatable: name:PATTERN (wildcards * ?), mac:PREFIX (e.g. mac:00:15:5d) or subnet:CIDR (e.g. subnet:198.18.4.0/24)",
            CustomParser = ParseRules,
        };
        var members = new Option<long[]>("--member") { Description = "a device id to add as a direct member, repeatable" };
        var command = new Command("create", "Create a collection; a device is a member when any rule matches it or it was added directly.")
        {
            name, description, rules, members,
        };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var given = result.GetValue(rules) ?? [];
            context.FieldOptions = RuleFields(given.Length);
            var definition = new CollectionDefinition(result.GetRequiredValue(name), result.GetValue(description), given, result.GetValue(members) ?? []);
            var response = await context.Site.SendJsonAsync<Collection>(HttpMethod.Post, CollectionsPath, definition, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var collection = response.Value;
            var count = (await context.Site.GetAsync<List<Device>>(Paths.Of(CollectionsPath, collection.Id, "members"), cancellationToken).ConfigureAwait(false)).Value.Count;
            context.Line($"Created collection {collection.Id} \"{collection.Name}\" with {count} member(s).");
            foreach (var rule in collection.Rules)
            {
                context.Line($"  rule: {Describe(rule)}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Add()
    {
        var id = new Argument<string>("collectionId") { Description = "the collection ID, e.g. DC200001" };
        var devices = new Argument<long[]>("deviceId") { Description = "device ids to add", Arity = ArgumentArity.OneOrMore };
        var command = new Command("add", "Add devices to a collection as direct members.") { id, devices };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var ids = result.GetRequiredValue(devices);
            await context.Site.SendJsonAsync<object>(HttpMethod.Post, Paths.Of(CollectionsPath, result.GetRequiredValue(id), "members"), new MemberAddition(ids), cancellationToken).ConfigureAwait(false);
            if (!context.Json)
            {
                context.Line($"Added {ids.Length} device(s) to {result.GetRequiredValue(id)}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Remove()
    {
        var id = new Argument<string>("collectionId") { Description = "the collection ID" };
        var device = new Argument<long>("deviceId") { Description = "the device id to remove" };
        var command = new Command("remove", "Remove a direct member from a collection (a device a rule matches stays a member).") { id, device };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var deviceId = result.GetValue(device).ToString(CultureInfo.InvariantCulture);
            await context.Site.SendAsync(HttpMethod.Delete, Paths.Of(CollectionsPath, result.GetRequiredValue(id), $"members/{deviceId}"), null, SiteClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            if (!context.Json)
            {
                context.Line($"Removed device {deviceId} from {result.GetRequiredValue(id)}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List collections.");
        var paging = PagingOptions.AddTo(command);
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<PagedResult<Collection>>(paging.Query(result, CollectionsPath), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var table = context.Table("ID", "Name", "Rules", "Description", "Created");
            foreach (var c in response.Value.Items)
            {
                AdminContext.Row(table, c.Id, c.Name, string.Join("; ", c.Rules.Select(Describe)), c.Description, AdminContext.Time(c.Created));
            }

            if (response.Value.Items.Count > 0)
            {
                context.Write(table);
            }

            context.Footer(response.Value.Items.Count, response.Value.Total, paging.Skip(result), "collections");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Members()
    {
        var id = new Argument<string>("id") { Description = "the collection ID" };
        var command = new Command("members", "List a collection's members: direct members and every device a rule matches.") { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<List<Device>>(Paths.Of(CollectionsPath, result.GetRequiredValue(id), "members"), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
            }
            else if (response.Value.Count == 0)
            {
                context.Line($"{result.GetRequiredValue(id)} has no members.");
            }
            else
            {
                context.Write(DeviceCommand.Table(context, response.Value));
                context.Line($"{response.Value.Count} member(s).");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Delete()
    {
        var id = new Argument<string>("id") { Description = "the collection ID" };
        var command = new Command("delete", "Delete a collection (refused while a deployment targets it).") { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            await context.Site.SendAsync(HttpMethod.Delete, Paths.Of(CollectionsPath, result.GetRequiredValue(id)), null, SiteClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            if (!context.Json)
            {
                context.Line($"Deleted collection {result.GetRequiredValue(id)}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static CollectionRule[] ParseRules(ArgumentResult result)
    {
        var rules = new List<CollectionRule>();
        foreach (var token in result.Tokens)
        {
            var text = token.Value;
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var kind = colon < 0 ? string.Empty : text[..colon].Trim().ToLowerInvariant();
            var value = colon < 0 ? string.Empty : text[(colon + 1)..];
            CollectionRuleKind? parsed = kind switch
            {
                "name" => CollectionRuleKind.NamePattern,
                "mac" => CollectionRuleKind.MacPrefix,
                "subnet" => CollectionRuleKind.IPv4Subnet,
                _ => null,
            };
            if (parsed is null || value.Length == 0)
            {
                result.AddError($"--rule: '{text}' is not a rule; write name:PATTERN, mac:PREFIX or subnet:CIDR");
                continue;
            }

            rules.Add(new CollectionRule(parsed.Value, value));
        }

        return [.. rules];
    }

    private static Dictionary<string, string> RuleFields(int count)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["name"] = "--name",
            ["description"] = "--description",
            ["rules"] = "--rule",
            ["members"] = "--member",
        };
        for (var i = 0; i < count; i++)
        {
            fields[$"rules[{i}].value"] = $"--rule #{i + 1}";
            fields[$"rules[{i}].kind"] = $"--rule #{i + 1}";
        }

        return fields;
    }

    private static string Describe(CollectionRule rule) => rule.Kind switch
    {
        CollectionRuleKind.NamePattern => $"name:{rule.Value}",
        CollectionRuleKind.MacPrefix => $"mac:{rule.Value}",
        CollectionRuleKind.IPv4Subnet => $"subnet:{rule.Value}",
        _ => $"{rule.Kind}:{rule.Value}",
    };
}
