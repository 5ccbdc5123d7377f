using System.Net;
using System.Security.Cryptography;
using System.Text;
using Deploycast.Site.Model;

namespace Deploycast.Site.Management;

public sealed partial class SiteManager
{
    private const int MaxImportLines = 100_000;
    private const int MaxMacAddresses = 16;

    /// <summary>
    /// Imports computers (ConfigMgr's "Import Computer Information"): each known by name and MAC addresses and/or SMBIOS
    /// UUID. A computer that matches an existing record by MAC or UUID updates it. Every entry is checked first; with
    /// any error nothing is imported.
    /// </summary>
    public async Task<DeviceImportResult> ImportDevicesAsync(IReadOnlyList<DeviceEntry>? entries, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (entries is null || entries.Count == 0)
        {
            errors.Add("devices", "Give at least one device.");
            errors.ThrowIfAny();
        }

        var checkedEntries = new List<(string Name, string[] Macs, Guid? Uuid)>();
        for (var i = 0; i < entries!.Count; i++)
        {
            var field = $"devices[{i}]";
            var entry = entries[i];
            var name = errors.Name($"{field}.name", entry?.Name);
            var (macs, uuid) = ReadIdentity($"{field}.", entry, errors);

            if (macs.Count == 0 && uuid is null && entry is not null)
            {
                errors.Add(field, "A device needs a MAC address or an SMBIOS UUID, so the site can recognise it when it starts.");
            }

            checkedEntries.Add((name ?? string.Empty, macs.Distinct().ToArray(), uuid));
        }

        errors.ThrowIfAny();
        int added = 0, updated = 0;
        var ids = new List<long>(checkedEntries.Count);
        foreach (var (name, macs, uuid) in checkedEntries)
        {
            await WithMacRetryAsync(() => ImportOneAsync(name, macs, uuid)).ConfigureAwait(false);
        }

        return new DeviceImportResult(added, updated, ids);

        async Task<bool> ImportOneAsync(string name, string[] macs, Guid? uuid)
        {
            var existing = await _store.FindDevicesAsync(macs, uuid, cancellationToken).ConfigureAwait(false);
            if (existing.Count > 0)
            {
                var device = existing[0];
                await _store.UpdateDeviceAsync(
                    device with
                    {
                        Name = name,
                        MacAddresses = MacsOf(device, macs, existing),
                        SmbiosUuid = uuid ?? device.SmbiosUuid,
                        IsUnknown = false,

                        // An unknown computer that waits and is now imported is known: it gets an imported device's approval.
                        Approval = device.Approval == DeviceApproval.Pending ? ImportedApproval : device.Approval,
                    },
                    cancellationToken).ConfigureAwait(false);
                ids.Add(device.Id);
                updated++;
            }
            else
            {
                var device = await _store.AddDeviceAsync(new Device(0, name, macs, uuid, ImportedApproval, IsUnknown: false, null, Now, null), cancellationToken).ConfigureAwait(false);
                ids.Add(device.Id);
                added++;
            }

            return true;
        }
    }

    /// <summary>
    /// Runs a find-then-add-or-update of a device. A MAC address belongs to one device (a unique index): when another
    /// request added the same new computer in between, the add clashes, and the next attempt finds that record and
    /// updates it instead of making a second one.
    /// </summary>
    private static async Task<T> WithMacRetryAsync<T>(Func<Task<T>> attempt)
    {
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (Storage.SiteStoreConflictException) when (tries < 3)
            {
            }
            catch (Storage.SiteStoreConflictException e)
            {
                throw new SiteConflictException($"The device's MAC addresses clash with another device's: {e.Message}.");
            }
        }
    }

    /// <summary>
    /// The MAC addresses of <paramref name="device"/> after it is matched by <paramref name="given"/>: its own plus the
    /// given ones that no other matched device holds (a MAC address belongs to one device).
    /// </summary>
    private static string[] MacsOf(Device device, IEnumerable<string> given, IReadOnlyList<Device> matched)
    {
        var others = matched.Where(d => d.Id != device.Id).SelectMany(d => d.MacAddresses).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return device.MacAddresses.Union(given.Where(m => !others.Contains(m)), StringComparer.OrdinalIgnoreCase).ToArray();
    }

    /// <summary>
    /// Reads a device CSV in ConfigMgr's import layout: <c>Name,SMBIOS GUID,MAC Address</c> per line (a header line is
    /// recognised and skipped; several MAC addresses are separated by ';' or '|'). Errors name the line.
    /// </summary>
    public static IReadOnlyList<DeviceEntry> ParseDeviceCsv(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var errors = new ValidationErrors();
        var entries = new List<DeviceEntry>();
        var lines = csv.Split('\n');
        if (lines.Length > MaxImportLines)
        {
            throw SiteValidationException.One("csv", $"At most {MaxImportLines} lines per import; this has {lines.Length}.");
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim().TrimStart('\uFEFF');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var cells = line.Split(',').Select(c => c.Trim().Trim('"').Trim()).ToArray();
            if (i == 0 && cells[0].Equals("name", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (cells.Length is < 2 or > 3)
            {
                errors.Add($"line {i + 1}", $"Expected 'Name,SMBIOS GUID,MAC Address' (3 fields); found {cells.Length}.");
                continue;
            }

            var macs = cells.Length == 3 ? cells[2].Split([';', '|', ' '], StringSplitOptions.RemoveEmptyEntries) : [];
            entries.Add(new DeviceEntry(cells[0], macs, cells[1].Length == 0 ? null : cells[1]));
        }

        errors.ThrowIfAny();
        return entries;
    }

    public async Task<Device> GetDeviceAsync(long id, CancellationToken cancellationToken) =>
        await _store.GetDeviceAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new SiteNotFoundException($"There is no device {id}.");

    public Task<PagedResult<Device>> ListDevicesAsync(Page page, CancellationToken cancellationToken) => _store.ListDevicesAsync(page, cancellationToken);

    /// <summary>Approves or blocks a device (ConfigMgr's Approve / Block).</summary>
    public async Task<Device> SetApprovalAsync(long id, DeviceApproval approval, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(approval))
        {
            throw SiteValidationException.One("approval", $"Unknown approval; use {string.Join(", ", Enum.GetNames<DeviceApproval>())}.");
        }

        var device = await GetDeviceAsync(id, cancellationToken).ConfigureAwait(false);
        var updated = device with { Approval = approval };
        await _store.SetDeviceApprovalAsync(id, approval, cancellationToken).ConfigureAwait(false);
        SiteLog.DeviceApproval(_logger, id, device.Name, approval);
        return updated;
    }

    public async Task DeleteDeviceAsync(long id, CancellationToken cancellationToken)
    {
        if (!await _store.DeleteDeviceAsync(id, cancellationToken).ConfigureAwait(false))
        {
            throw new SiteNotFoundException($"There is no device {id}.");
        }
    }

    /// <summary>
    /// An agent registers its computer. A record that matches by MAC address or SMBIOS UUID is reused (an imported
    /// computer, or one that registered before); otherwise an unknown computer is added. The device gets a new
    /// credential each time (shown once; the site keeps its hash), and is approved by <see cref="SiteOptions.DeviceApproval"/>.
    /// </summary>
    public async Task<DeviceRegistration> RegisterDeviceAsync(DeviceEntry? request, IPAddress? remoteAddress, CancellationToken cancellationToken, string? presentedCredential = null)
    {
        var errors = new ValidationErrors();
        var name = errors.Name("name", request?.Name);
        var (macs, uuid) = ReadIdentity(string.Empty, request, errors);

        if (macs.Count == 0 && uuid is null)
        {
            errors.Add("macAddresses", "Registration needs at least one MAC address or the SMBIOS UUID.");
        }

        if (macs.Count > MaxMacAddresses)
        {
            errors.Add("macAddresses", $"At most {MaxMacAddresses} MAC addresses per computer; {macs.Count} were given.");
        }

        if (request?.IPv4Address is { } claimed && !(IPAddress.TryParse(claimed, out var parsedClaim) && parsedClaim.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && claimed.Count(c => c == '.') == 3))
        {
            errors.Add("ipv4Address", $"'{claimed}' is not an IPv4 address.");
        }

        errors.ThrowIfAny();

        // The address the site sees wins over the one the computer claims (subnet rules must not be steered by a
        // client); the claim counts only when the site sees loopback (the agent on the server itself, or a proxy).
        var address = remoteAddress is { } a ? (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a) : null;
        var seen = address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork } && !IPAddress.IsLoopback(address) ? address.ToString() : null;
        var ipv4 = seen ?? request!.IPv4Address;
        var device = await WithMacRetryAsync(() => SaveRegistrationAsync(name!, macs, uuid, ipv4, presentedCredential, cancellationToken)).ConfigureAwait(false);
        var credential = NewSecret(DeviceCredentialPrefix);
        await _store.SetDeviceCredentialAsync(device.Id, HashSecret(credential), cancellationToken).ConfigureAwait(false);
        SiteLog.DeviceRegistered(_logger, device.Id, device.Name, device.IsUnknown, device.Approval);
        return new DeviceRegistration(device, credential);
    }

    /// <summary>Updates the device a registration matches, or adds an unknown computer.</summary>
    private async Task<Device> SaveRegistrationAsync(string name, IReadOnlyList<string> macs, Guid? uuid, string? ipv4, string? presentedCredential, CancellationToken cancellationToken)
    {
        var found = await _store.FindDevicesAsync(macs.ToArray(), uuid, cancellationToken).ConfigureAwait(false);
        Device device;
        if (found.Count > 0)
        {
            var existing = found[0];
            // A computer that registered before and now comes without its credential may be another machine claiming
            // its MAC address: it waits for an administrator (ConfigMgr's conflicting record), unless all are approved.
            var holdsCredential = presentedCredential is not null
                && (await _store.FindDeviceByCredentialAsync(HashSecret(presentedCredential), cancellationToken).ConfigureAwait(false))?.Id == existing.Id;
            var conflicting = existing.LastContact is not null && !holdsCredential;
            var approval = existing.Approval switch
            {
                DeviceApproval.Blocked => DeviceApproval.Blocked,
                _ when _options.DeviceApproval == DeviceApprovalMode.AutoApproveAll => DeviceApproval.Approved,
                _ when conflicting => DeviceApproval.Pending,
                _ when _options.DeviceApproval == DeviceApprovalMode.AutoApproveKnown && !existing.IsUnknown => DeviceApproval.Approved,
                _ => existing.Approval,
            };
            if (conflicting && approval == DeviceApproval.Pending)
            {
                SiteLog.ConflictingRegistration(_logger, existing.Id, existing.Name);
            }

            device = existing with
            {
                Name = existing.IsUnknown ? name : existing.Name,
                MacAddresses = MacsOf(existing, macs, found),
                SmbiosUuid = existing.SmbiosUuid ?? uuid,
                Approval = approval,
                IPv4Address = ipv4,
                LastContact = Now,
            };
            await _store.UpdateDeviceAsync(device, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var approval = _options.DeviceApproval == DeviceApprovalMode.AutoApproveAll ? DeviceApproval.Approved : DeviceApproval.Pending;
            device = await _store.AddDeviceAsync(new Device(0, name, macs.ToArray(), uuid, approval, IsUnknown: true, ipv4, Now, Now), cancellationToken).ConfigureAwait(false);
        }

        return device;
    }

    /// <summary>Prefix of a device's credential.</summary>
    internal const string DeviceCredentialPrefix = "dcd_";

    /// <summary>Whether <paramref name="token"/> has the form of a device credential (whose device only a site can tell).</summary>
    public static bool IsDeviceCredentialShaped([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? token) =>
        !string.IsNullOrEmpty(token) && token.StartsWith(DeviceCredentialPrefix, StringComparison.Ordinal);

    /// <summary>The device a credential belongs to, or null; records the contact time.</summary>
    public async Task<Device?> AuthenticateDeviceAsync(string? credential, CancellationToken cancellationToken)
    {
        if (!IsDeviceCredentialShaped(credential))
        {
            return null;
        }

        return await _store.FindDeviceByCredentialAsync(HashSecret(credential), cancellationToken).ConfigureAwait(false);
    }

    internal static string NewSecret(string prefix) =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static string HashSecret(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>A computer's normalized MAC addresses and SMBIOS UUID; each malformed one is an error under
    /// <paramref name="prefix"/> + the field's name.</summary>
    private static (List<string> Macs, Guid? Uuid) ReadIdentity(string prefix, DeviceEntry? entry, ValidationErrors errors)
    {
        var macs = new List<string>();
        foreach (var mac in entry?.MacAddresses ?? [])
        {
            if (Identifiers.NormalizeMac(mac) is { } normalized)
            {
                macs.Add(normalized);
            }
            else
            {
                errors.Add($"{prefix}macAddresses", $"'{mac}' is not a MAC address (six hex bytes like 00:15:5d:01:02:03).");
            }
        }

        Guid? uuid = null;
        if (!string.IsNullOrWhiteSpace(entry?.SmbiosUuid))
        {
            if (Guid.TryParse(entry.SmbiosUuid, out var parsed))
            {
                uuid = parsed;
            }
            else
            {
                errors.Add($"{prefix}smbiosUuid", $"'{entry.SmbiosUuid}' is not an SMBIOS UUID (like 4c4c4544-0042-3510-8052-b4c04f4b4e31).");
            }
        }

        return (macs, uuid);
    }

    /// <summary>Imported computers are approved, except under manual approval.</summary>
    private DeviceApproval ImportedApproval => _options.DeviceApproval == DeviceApprovalMode.Manual ? DeviceApproval.Pending : DeviceApproval.Approved;
}
/// <summary>How many devices an import added and updated, and their ids in the order given.</summary>
public sealed record DeviceImportResult(int Added, int Updated, IReadOnlyList<long> DeviceIds);

/// <summary>A registered device and its new credential (shown once).</summary>
public sealed record DeviceRegistration(Device Device, string Credential);
