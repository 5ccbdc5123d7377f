using System.CommandLine;
using System.Globalization;
using System.Text;
using Deploycast.Site.Api;
using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Cli.Admin;

/// <summary><c>deploycast device</c>: the computers the site knows (ConfigMgr: import computer information, approve, block).</summary>
internal static class DeviceCommand
{
    private const string DevicesPath = "api/v1/devices";

    public static Command Create() => new("device", "Import, add, list, approve, block and delete devices.")
    {
        Import(), Add(), List(), Show(), Approval("approve", "Approve a device: it may read its policy and report status."),
        Approval("block", "Block a device: its credential is no longer accepted."), Delete(),
    };

    private static Command Import()
    {
        var file = new Argument<FileInfo>("csv") { Description = "a CSV file: Name,SMBIOS GUID,MAC Address (a header line is optional; several MACs separated by ';')" };
        var command = new Command("import", "Import computer information from a CSV file; a computer that matches a known one by MAC or SMBIOS GUID updates it.") { file };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var csv = result.GetRequiredValue(file);
            string text;
            try
            {
                text = await File.ReadAllTextAsync(csv.FullName, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read {csv.FullName}: {e.Message}");
            }

            var json = await context.Site.SendAsync(HttpMethod.Post, $"{DevicesPath}/import", new StringContent(text, Encoding.UTF8, "text/csv"), SiteClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(json);
                return ExitCodes.Success;
            }

            var imported = System.Text.Json.JsonSerializer.Deserialize<DeviceImportResult>(json, SiteClient.Json)!;
            context.Line($"Imported {csv.Name}: {imported.Added} added, {imported.Updated} updated.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Add()
    {
        var name = new Option<string>("--name", "-n") { Description = "the computer name", Required = true };
        var macs = new Option<string[]>("--mac") { Description = "a MAC address (repeat for several adapters)", Required = true, AllowMultipleArgumentsPerToken = false };
        var uuid = new Option<string?>("--uuid") { Description = "the SMBIOS UUID" };
        var command = new Command("add", "Add one computer by name, MAC address(es) and SMBIOS UUID.") { name, macs, uuid };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            context.FieldOptions = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["devices[0].name"] = "--name",
                ["devices[0].macAddresses"] = "--mac",
                ["devices[0].smbiosUuid"] = "--uuid",
            };
            var entry = new DeviceEntry(result.GetRequiredValue(name), result.GetRequiredValue(macs), result.GetValue(uuid));
            var response = await context.Site.SendJsonAsync<DeviceImportResult>(HttpMethod.Post, DevicesPath, new DeviceImport([entry]), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var id = response.Value.DeviceIds.Single();
            var device = (await context.Site.GetAsync<Device>($"{DevicesPath}/{id}", cancellationToken).ConfigureAwait(false)).Value;
            var verb = response.Value.Added > 0 ? "Added" : "Updated";
            context.Line($"{verb} device {device.Id} \"{device.Name}\" ({device.Approval}).");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List devices.");
        var paging = PagingOptions.AddTo(command);
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<PagedResult<Device>>(paging.Query(result, DevicesPath), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            if (response.Value.Items.Count > 0)
            {
                context.Write(Table(context, response.Value.Items));
            }

            context.Footer(response.Value.Items.Count, response.Value.Total, paging.Skip(result), "devices");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<long>("id") { Description = "the device's resource id" };
        var command = new Command("show", "Show one device.") { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<Device>(Path(result.GetValue(id)), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var d = response.Value;
            context.Write(context.Properties(
            [
                ("Resource ID", d.Id.ToString(CultureInfo.InvariantCulture)),
                ("Name", d.Name),
                ("MAC addresses", string.Join(", ", d.MacAddresses)),
                ("SMBIOS GUID", d.SmbiosUuid?.ToString()),
                ("Approval", d.Approval.ToString()),
                ("Unknown computer", AdminContext.YesNo(d.IsUnknown)),
                ("IPv4 address", d.IPv4Address),
                ("Created", AdminContext.Time(d.Created)),
                ("Last contact", AdminContext.Time(d.LastContact)),
            ]));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Approval(string verb, string description)
    {
        var id = new Argument<long>("id") { Description = "the device's resource id" };
        var command = new Command(verb, description) { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.SendJsonAsync<Device>(HttpMethod.Post, Path(result.GetValue(id), verb), null, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
            }
            else
            {
                context.Line($"Device {response.Value.Id} \"{response.Value.Name}\" is {response.Value.Approval}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Delete()
    {
        var id = new Argument<long>("id") { Description = "the device's resource id" };
        var command = new Command("delete", "Delete a device record (a computer that registers again comes back as unknown).") { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            await context.Site.SendAsync(HttpMethod.Delete, Path(result.GetValue(id)), null, SiteClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            if (!context.Json)
            {
                context.Line($"Deleted device {result.GetValue(id)}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A device table, as list and collection members show it.</summary>
    internal static Spectre.Console.Table Table(AdminContext context, IEnumerable<Device> devices)
    {
        var table = context.Table("ID", "Name", "MAC addresses", "SMBIOS GUID", "Approval", "Unknown", "IPv4 address", "Last contact");
        foreach (var d in devices)
        {
            AdminContext.Row(table, d.Id.ToString(CultureInfo.InvariantCulture), d.Name, string.Join(", ", d.MacAddresses), d.SmbiosUuid?.ToString(),
                d.Approval.ToString(), AdminContext.YesNo(d.IsUnknown), d.IPv4Address, AdminContext.Time(d.LastContact));
        }

        return table;
    }

    private static string Path(long id, string? suffix = null) =>
        $"{DevicesPath}/{id.ToString(CultureInfo.InvariantCulture)}{(suffix is null ? string.Empty : "/" + suffix)}";
}
