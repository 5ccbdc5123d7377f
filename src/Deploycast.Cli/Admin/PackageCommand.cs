using System.CommandLine;
using System.Diagnostics;
using Deploycast.Cli.Commands;
using Deploycast.Site.Api;
using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Cli.Admin;

/// <summary><c>deploycast package</c>: OS image packages and their multicast options.</summary>
internal static class PackageCommand
{
    private static readonly Dictionary<string, string> Fields = new(StringComparer.Ordinal)
    {
        ["name"] = "--name",
        ["description"] = "--description",
        ["sourcePath"] = "<file>",
        ["imageType"] = "--type",
        ["allowMulticast"] = "--allow-multicast / --no-multicast",
        ["encryptMulticast"] = "--encrypt",
        ["multicastOnly"] = "--multicast-only",
    };

    public static Command Create() => new("package", "Import OS image packages, change their multicast options, update their content.")
    {
        Import(), List(), Show(), Set(), Update(), Distribute(), RemoveContent(),
    };

    private static Command Import()
    {
        var file = new Argument<FileInfo>("file") { Description = "the image file; its absolute path is sent, so the server must be able to read it there" };
        var name = new Option<string>("--name", "-n") { Description = "the package's name", Required = true };
        var description = new Option<string?>("--description") { Description = "free text" };
        var type = new Option<string?>("--type") { Description = "wim, raw or file (default: a WIM by its header; raw for .img, .raw, .iso; else file)" };
        type.AcceptOnlyFromAmong("wim", "raw", "file");
        var noMulticast = new Option<bool>("--no-multicast") { Description = "do not allow this package to be transferred via multicast" };
        var encrypt = new Option<bool>("--encrypt") { Description = "encrypt multicast packages" };
        var multicastOnly = new Option<bool>("--multicast-only") { Description = "transfer this package only via multicast (no unicast download)" };
        var command = new Command("import", "Import an image file as a new package (version 1) and distribute it to the site's distribution point.")
        {
            file, name, description, type, noMulticast, encrypt, multicastOnly,
        };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            context.FieldOptions = Fields;
            var path = result.GetRequiredValue(file).FullName;
            var body = new PackageImport(
                result.GetRequiredValue(name),
                path,
                result.GetValue(description),
                result.GetValue(type) is { } t ? Enum.Parse<ImageType>(t, ignoreCase: true) : null,
                AllowMulticast: !result.GetValue(noMulticast),
                EncryptMulticast: result.GetValue(encrypt),
                MulticastOnly: result.GetValue(multicastOnly));
            var clock = Stopwatch.StartNew();

            // Import hashes and copies the whole image on the server: minutes for a big WIM, so no timeout.
            var response = await ConsoleOutput.WithSpinnerAsync(
                $"Importing {Path.GetFileName(path)}",
                context.Site.SendJsonAsync<Package>(HttpMethod.Post, "api/v1/packages", body, cancellationToken, Timeout.InfiniteTimeSpan)).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var package = response.Value;
            context.Line($"Imported {path} as package {package.Id} \"{package.Name}\" (version {package.LatestVersion}) in {clock.Elapsed.TotalSeconds:0.0} s");
            context.Write(PackageProperties(context, package));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List packages.");
        var paging = PagingOptions.AddTo(command);
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<PagedResult<Package>>(paging.Query(result, "api/v1/packages"), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var table = context.Table("ID", "Name", "Type", "Version", "Multicast", "Encrypted", "Multicast only", "Modified");
            foreach (var p in response.Value.Items)
            {
                AdminContext.Row(table, p.Id, p.Name, p.ImageType.ToString(), p.LatestVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    AdminContext.YesNo(p.AllowMulticast), AdminContext.YesNo(p.EncryptMulticast), AdminContext.YesNo(p.MulticastOnly), AdminContext.Time(p.Modified));
            }

            if (response.Value.Items.Count > 0)
            {
                context.Write(table);
            }

            context.Footer(response.Value.Items.Count, response.Value.Total, paging.Skip(result), "packages");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "the package ID, e.g. DC100001" };
        var command = new Command("show", "Show a package: its properties, its versions and where each is distributed.") { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<PackageDetails>(Paths.Of("api/v1/packages", result.GetRequiredValue(id)), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var details = response.Value;
            context.Write(PackageProperties(context, details.Package));
            context.Line("Versions:");
            var versions = context.Table("Version", "Size", "Content ID", "Images", "Source", "Imported");
            foreach (var v in details.Versions.OrderBy(v => v.Version))
            {
                AdminContext.Row(versions, v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), RateParser.FormatBytes(v.Size), v.ContentId[..Math.Min(16, v.ContentId.Length)],
                    v.ImageCount?.ToString(System.Globalization.CultureInfo.InvariantCulture), v.SourcePath, AdminContext.Time(v.Created));
            }

            context.Write(versions);
            context.Line("Content status:");
            if (details.Distribution.Count == 0)
            {
                context.Line("  not distributed to any distribution point");
                return ExitCodes.Success;
            }

            context.Write(DistributionTable(context, details.Distribution));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Set()
    {
        var id = new Argument<string>("id") { Description = "the package ID" };
        var name = new Option<string?>("--name", "-n") { Description = "a new name" };
        var description = new Option<string?>("--description") { Description = "a new description" };
        var allow = BoolOption("--allow-multicast", "allow this package to be transferred via multicast");
        var encrypt = BoolOption("--encrypt", "encrypt multicast packages");
        var only = BoolOption("--multicast-only", "transfer this package only via multicast");
        var command = new Command("set", "Change a package's name, description or multicast options; what is not given stays as it is.")
        {
            id, name, description, allow, encrypt, only,
        };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            context.FieldOptions = Fields;
            var change = new PackageChange(result.GetValue(name), result.GetValue(description), result.GetValue(allow), result.GetValue(encrypt), result.GetValue(only));
            if (change == new PackageChange())
            {
                throw new UsageException("nothing to change: give --name, --description, --allow-multicast, --encrypt or --multicast-only");
            }

            var response = await context.Site.SendJsonAsync<Package>(HttpMethod.Patch, Paths.Of("api/v1/packages", result.GetRequiredValue(id)), change, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            context.Line($"Package {response.Value.Id} changed.");
            context.Write(PackageProperties(context, response.Value));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Update()
    {
        var id = new Argument<string>("id") { Description = "the package ID" };
        var file = new Argument<FileInfo>("file") { Description = "the new image file (its absolute path is sent)" };
        var command = new Command("update", "Import a new file as the package's next version and distribute it (ConfigMgr: update distribution points).") { id, file };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            context.FieldOptions = Fields;
            var path = result.GetRequiredValue(file).FullName;
            var clock = Stopwatch.StartNew();
            var response = await ConsoleOutput.WithSpinnerAsync(
                $"Importing {Path.GetFileName(path)}",
                context.Site.SendJsonAsync<PackageVersion>(HttpMethod.Post, Paths.Of("api/v1/packages", result.GetRequiredValue(id), "versions"), new ContentUpdate(path), cancellationToken, Timeout.InfiniteTimeSpan)).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var v = response.Value;
            context.Line($"Package {v.PackageId} version {v.Version}: {RateParser.FormatBytes(v.Size)} from {v.SourcePath}, content {v.ContentId}, imported in {clock.Elapsed.TotalSeconds:0.0} s");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Distribute()
    {
        var id = new Argument<string>("id") { Description = "the package ID" };
        var dps = new Option<string[]>("--dp") { Description = "a distribution point's name (deploycast dp list), repeatable", Required = true, AllowMultipleArgumentsPerToken = true };
        var command = new Command("distribute", "Distribute the package's newest version to registered distribution points (ConfigMgr: Distribute Content); they fetch it at their next poll.") { id, dps };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var given = result.GetRequiredValue(dps);
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["distributionPointIds"] = "--dp" };
            for (var i = 0; i < given.Length; i++)
            {
                fields[$"distributionPointIds[{i}]"] = $"--dp {given[i]}";
            }

            context.FieldOptions = fields;
            var response = await context.Site.SendJsonAsync<List<DistributionStatus>>(HttpMethod.Post, Paths.Of("api/v1/packages", result.GetRequiredValue(id), "distribution-points"),
                new DistributionRequest(given), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            context.Write(DistributionTable(context, response.Value));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RemoveContent()
    {
        var id = new Argument<string>("id") { Description = "the package ID" };
        var dp = new Option<string>("--dp") { Description = "the distribution point's name", Required = true };
        var command = new Command("remove-content", "Remove the package from a registered distribution point (every version); it deletes the content at its next poll.") { id, dp };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            await context.Site.SendAsync(HttpMethod.Delete, Paths.Of("api/v1/packages", result.GetRequiredValue(id), "distribution-points/" + Uri.EscapeDataString(result.GetRequiredValue(dp))), null,
                SiteClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            if (!context.Json)
            {
                context.Line($"Package {result.GetRequiredValue(id)} removed from {result.GetRequiredValue(dp)}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>An option that takes an explicit true or false (leaving it out changes nothing).</summary>
    internal static Option<bool?> BoolOption(string name, string description) => new(name)
    {
        Description = $"{description}: true or false",
        Arity = ArgumentArity.ExactlyOne,
    };

    private static Spectre.Console.Table PackageProperties(AdminContext context, Package p) => context.Properties(
    [
        ("Package ID", p.Id),
        ("Name", p.Name),
        ("Description", p.Description),
        ("Image type", p.ImageType.ToString()),
        ("Source version", p.LatestVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Allow this package to be transferred via multicast", AdminContext.YesNo(p.AllowMulticast)),
        ("Encrypt multicast packages", AdminContext.YesNo(p.EncryptMulticast)),
        ("Transfer this package only via multicast", AdminContext.YesNo(p.MulticastOnly)),
        ("Created", AdminContext.Time(p.Created)),
        ("Modified", AdminContext.Time(p.Modified)),
    ]);

    /// <summary>Content status per version and DP, as ConfigMgr's Content Status shows it.</summary>
    private static Spectre.Console.Table DistributionTable(AdminContext context, IEnumerable<DistributionStatus> rows)
    {
        var table = context.Table("Version", "Distribution point", "State", "Message", "Updated");
        foreach (var d in rows.OrderBy(d => d.Version).ThenBy(d => d.DistributionPointId, StringComparer.Ordinal))
        {
            AdminContext.Row(table, d.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), d.DistributionPointId, State(d.State), d.Message, AdminContext.Time(d.Updated));
        }

        return table;
    }

    private static string State(DistributionState state) => state switch
    {
        DistributionState.InProgress => "In progress",
        _ => state.ToString(),
    };
}
