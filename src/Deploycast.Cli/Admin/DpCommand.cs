using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Deploycast.Cli.Commands;
using Deploycast.DistributionPoint.Settings;
using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Cli.Admin;

/// <summary><c>deploycast dp</c>: distribution points and the multicast settings of the server's own DP.</summary>
internal static class DpCommand
{
    private const string MulticastPath = "api/v1/dp/multicast";

    /// <summary>The DP names settings by their property names; each is set by one option.</summary>
    private static readonly Dictionary<string, string> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(MulticastSettings.Enabled)] = "--enabled",
        [nameof(MulticastSettings.Interface)] = "--interface",
        [nameof(MulticastSettings.AddressRangeStart)] = "--address-range",
        [nameof(MulticastSettings.AddressRangeEnd)] = "--address-range",
        [nameof(MulticastSettings.PortRangeStart)] = "--ports",
        [nameof(MulticastSettings.PortRangeEnd)] = "--ports",
        [nameof(MulticastSettings.ClientTransferRate)] = "--transfer-rate",
        [nameof(MulticastSettings.MaximumClients)] = "--max-clients",
        [nameof(MulticastSettings.ScheduledMulticast)] = "--scheduled",
        [nameof(MulticastSettings.SessionStartDelayMinutes)] = "--start-delay",
        [nameof(MulticastSettings.MinimumSessionSize)] = "--min-clients",
        [nameof(MulticastSettings.SlowClientPolicy)] = "--slow-client-policy",
        [nameof(MulticastSettings.SlowClientThreshold)] = "--slow-client-threshold",
        [nameof(MulticastSettings.FallBackToUnicast)] = "--fallback-to-unicast",
        [nameof(MulticastSettings.MultistreamTiers)] = "--tiers",
        [nameof(MulticastSettings.SessionIdleTimeout)] = "--idle-timeout",
    };

    public static Command Create() => new("dp", "Distribution points: list them, make registration tokens, show and change the multicast settings.")
    {
        List(), Token(), Remove(), Show(), Set(),
    };

    private static Command Remove()
    {
        var id = new Argument<string>("id") { Description = "the distribution point's name (deploycast dp list)" };
        var command = new Command("remove", "Unregister a distribution point that runs alone: its record, credential and content status go; its next poll is refused.") { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            await context.Site.SendAsync(HttpMethod.Delete, Paths.Of("api/v1/distribution-points", result.GetRequiredValue(id)), null, SiteClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            if (!context.Json)
            {
                context.Line($"Distribution point {result.GetRequiredValue(id)} removed from the site.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Token()
    {
        var hours = new Option<int?>("--valid-hours") { Description = "how long the token is accepted, 1 to 168 hours (default 24)" };
        var command = new Command("token", "Make a registration token, with which a DP running alone registers (deploycast server --register-with); 'list' and 'revoke' manage them.")
        {
            hours, TokenList(), TokenRevoke(),
        };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            context.FieldOptions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["validHours"] = "--valid-hours" };
            var response = await context.Site.SendJsonAsync<DistributionPointToken>(
                HttpMethod.Post, "api/v1/distribution-points/registration-tokens", new DistributionPointTokenRequest(result.GetValue(hours)), cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            context.Line($"Registration token (shown once): {response.Value.Token}");
            context.Line($"Expires: {AdminContext.Time(response.Value.Expires)}");
            context.Line($"Id (to revoke it: deploycast dp token revoke <id>): {response.Value.Id}");
            context.Line($"On the DP: deploycast server --register-with {context.Site.Server} --site-fingerprint <this server's certificate SHA-256> --registration-token <token>");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command TokenList()
    {
        var command = new Command("list", "List the registration tokens still accepted (by id; the tokens themselves are not stored).");
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<List<DistributionPointTokenInfo>>("api/v1/distribution-points/registration-tokens", cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            if (response.Value.Count == 0)
            {
                context.Line("No registration tokens are accepted now.");
                return ExitCodes.Success;
            }

            var table = context.Table("Id", "Expires");
            foreach (var token in response.Value)
            {
                AdminContext.Row(table, token.Id, AdminContext.Time(token.Expires));
            }

            context.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command TokenRevoke()
    {
        var id = new Argument<string>("id") { Description = "the token's id (deploycast dp token list), or the token itself" };
        var command = new Command("revoke", "Revoke a registration token before it expires; DPs that registered with it stay registered.") { id };
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            context.FieldOptions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["id"] = "<id>" };
            await context.Site.SendAsync(HttpMethod.Delete, Paths.Of("api/v1/distribution-points/registration-tokens", result.GetRequiredValue(id)), null,
                SiteClient.DefaultTimeout, cancellationToken).ConfigureAwait(false);
            if (!context.Json)
            {
                context.Line("Registration token revoked.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the distribution points registered with the site.");
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<List<DistributionPointRecord>>("api/v1/distribution-points", cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            var table = context.Table("Name", "URL", "Certificate SHA-256", "Local", "Registered", "Last seen", "Multicast", "Sessions", "Packages");
            foreach (var dp in response.Value)
            {
                var health = dp.Health;
                AdminContext.Row(table, dp.Id, dp.Url.ToString(), dp.CertificateFingerprint, AdminContext.YesNo(dp.IsLocal), AdminContext.Time(dp.Registered), AdminContext.Time(dp.LastSeen),
                    health is null ? null : health.MulticastEnabled ? $"on {health.Interface} {health.AddressRange} ports {health.PortRange}" : "off",
                    health?.ActiveSessions.ToString(CultureInfo.InvariantCulture),
                    health is null ? null : health.UnservableContent > 0 ? $"{health.Packages} ({health.UnservableContent} not servable)" : health.Packages.ToString(CultureInfo.InvariantCulture));
            }

            if (response.Value.Count == 0)
            {
                context.Line("No distribution points.");
            }
            else
            {
                context.Write(table);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show()
    {
        var command = new Command("show", "Show the multicast settings of the server's distribution point (its Multicast tab).");
        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            var response = await context.Site.GetAsync<MulticastSettings>(MulticastPath, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
            }
            else
            {
                context.Write(SettingsTable(context, response.Value));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Set()
    {
        var enabled = PackageCommand.BoolOption("--enabled", "enable multicast to simultaneously send data to multiple clients");
        var iface = new Option<string?>("--interface") { Description = "IPv4 address of the interface sessions are sent from" };
        var addresses = new Option<(string Start, string End)?>("--address-range")
        {
            Description = "use IPv4 addresses from this range, e.g. 239.255.42.1-239.255.42.254",
            CustomParser = r => ParseRange(r, "239.255.42.1-239.255.42.254"),
        };
        var ports = new Option<(int Start, int End)?>("--ports")
        {
            Description = "UDP port range, e.g. 63000-64000",
            CustomParser = ParsePorts,
        };
        var rate = new Option<string?>("--transfer-rate") { Description = "client transfer rate in bits/s (200M, 1G), or 'dynamic' for no ceiling" };
        rate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && !text.Equals("dynamic", StringComparison.OrdinalIgnoreCase) && !RateParser.TryParse(text, out _))
            {
                r.AddError($"--transfer-rate: '{text}' is not a rate; use bits per second like 200M or 1G, or 'dynamic'");
            }
        });
        var maxClients = new Option<int?>("--max-clients") { Description = "maximum clients" };
        var scheduled = PackageCommand.BoolOption("--scheduled", "enable scheduled multicast (off: auto-cast)");
        var startDelay = new Option<int?>("--start-delay") { Description = "session start delay (minutes)" };
        var minClients = new Option<int?>("--min-clients") { Description = "minimum session size (clients)" };
        var policy = new Option<string?>("--slow-client-policy") { Description = "transfer settings for slow clients: none, auto-disconnect or multistream" };
        policy.AcceptOnlyFromAmong("none", "auto-disconnect", "multistream");
        var threshold = new Option<string?>("--slow-client-threshold") { Description = "the rate in bits/s under which a client is slow (e.g. 1M)" };
        threshold.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && !RateParser.TryParse(text, out _))
            {
                r.AddError($"--slow-client-threshold: '{text}' is not a rate; use bits per second like 1M or 500k");
            }
        });
        var fallback = PackageCommand.BoolOption("--fallback-to-unicast", "with auto-disconnect, let a disconnected client continue by unicast");
        var tiers = new Option<int?>("--tiers") { Description = "multistream: 2 (fast, slow) or 3 (fast, medium, slow) sessions" };
        var idle = new Option<double?>("--idle-timeout") { Description = "seconds a finished session lingers for late clients" };
        Option[] settings = [enabled, iface, addresses, ports, rate, maxClients, scheduled, startDelay, minClients, policy, threshold, fallback, tiers, idle];
        var command = new Command("set", "Change multicast settings of the server's distribution point: reads them, changes what is given, writes them back.");
        foreach (var option in settings)
        {
            command.Options.Add(option);
        }

        var admin = AdminOptions.AddTo(command);
        admin.SetAction(command, async (result, context, cancellationToken) =>
        {
            context.FieldOptions = Fields;
            var (read, etag) = await context.Site.GetWithETagAsync<MulticastSettings>(MulticastPath, cancellationToken).ConfigureAwait(false);
            var current = read.Value;
            var changed = current;

            // Each option given replaces one setting (or a pair, for the ranges); the rest are sent back unchanged.
            if (result.GetValue(enabled) is { } e)
            {
                changed = changed with { Enabled = e };
            }

            if (result.GetValue(iface) is { } i)
            {
                changed = changed with { Interface = i };
            }

            if (result.GetValue(addresses) is { } a)
            {
                changed = changed with { AddressRangeStart = a.Start, AddressRangeEnd = a.End };
            }

            if (result.GetValue(ports) is { } p)
            {
                changed = changed with { PortRangeStart = p.Start, PortRangeEnd = p.End };
            }

            if (result.GetValue(rate) is { } r)
            {
                changed = changed with { ClientTransferRate = RateParser.TryParse(r, out var bits) ? bits : null };
            }

            if (result.GetValue(maxClients) is { } max)
            {
                changed = changed with { MaximumClients = max };
            }

            if (result.GetValue(scheduled) is { } s)
            {
                changed = changed with { ScheduledMulticast = s };
            }

            if (result.GetValue(startDelay) is { } delay)
            {
                changed = changed with { SessionStartDelayMinutes = delay };
            }

            if (result.GetValue(minClients) is { } min)
            {
                changed = changed with { MinimumSessionSize = min };
            }

            if (result.GetValue(policy) is { } pol)
            {
                changed = changed with { SlowClientPolicy = Enum.Parse<SlowClientPolicy>(pol.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true) };
            }

            if (result.GetValue(threshold) is { } t && RateParser.TryParse(t, out var thresholdBits))
            {
                changed = changed with { SlowClientThreshold = thresholdBits };
            }

            if (result.GetValue(fallback) is { } f)
            {
                changed = changed with { FallBackToUnicast = f };
            }

            if (result.GetValue(tiers) is { } n)
            {
                changed = changed with { MultistreamTiers = n };
            }

            if (result.GetValue(idle) is { } seconds)
            {
                changed = changed with { SessionIdleTimeout = double.IsFinite(seconds) && Math.Abs(seconds) < 1e9 ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue };
            }

            if (!settings.Any(o => result.GetResult(o) is not null))
            {
                throw new UsageException("nothing to change: give at least one setting (see deploycast dp set --help)");
            }

            // The DP checks the whole set and refuses all of it with each setting's error; nothing is half-applied. If-Match
            // carries the tag of what was read: a change someone made in between is refused (412), not overwritten.
            var response = await context.Site.SendJsonIfMatchAsync<MulticastSettings>(HttpMethod.Put, MulticastPath, changed, etag, cancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(response.Json);
                return ExitCodes.Success;
            }

            context.Line("Multicast settings saved; new sessions use them (running sessions keep their group).");
            context.Write(SettingsTable(context, response.Value));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>START-END (or one value for both) as two texts; null, with an error, when it is not that shape.</summary>
    private static (string Start, string End)? ParseRange(ArgumentResult result, string example)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
        {
            return RangeError<(string, string)>(result, example);
        }

        return (parts[0], parts.Length == 2 ? parts[1] : parts[0]);
    }

    private static (int Start, int End)? ParsePorts(ArgumentResult result)
    {
        const string Example = "63000-64000";
        if (ParseRange(result, Example) is not var (start, end))
        {
            return null;
        }

        if (int.TryParse(start, NumberStyles.None, CultureInfo.InvariantCulture, out var first) && int.TryParse(end, NumberStyles.None, CultureInfo.InvariantCulture, out var last))
        {
            return (first, last);
        }

        return RangeError<(int, int)>(result, Example);
    }

    private static T? RangeError<T>(ArgumentResult result, string example)
        where T : struct
    {
        var name = ((OptionResult)result.Parent!).Option.Name;
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        result.AddError($"{name}: '{text}' is not a range; write it as START-END, e.g. {example}");
        return null;
    }

    internal static Spectre.Console.Table SettingsTable(AdminContext context, MulticastSettings s)
    {
        var table = context.Table("Setting", "Value");
        void Add(string name, string value) => AdminContext.Row(table, name, value);
        Add("Enable multicast to simultaneously send data to multiple clients", AdminContext.YesNo(s.Enabled));
        Add("Network interface", s.Interface);
        Add("Use IPv4 addresses from the following range", $"{s.AddressRangeStart} - {s.AddressRangeEnd}");
        Add("UDP port range", $"{s.PortRangeStart} - {s.PortRangeEnd}");
        Add("Client transfer rate", s.ClientTransferRate is { } rate ? RateParser.Format(rate) : "Dynamic (no ceiling)");
        Add("Maximum clients", s.MaximumClients.ToString(CultureInfo.InvariantCulture));
        Add("Enable scheduled multicast", s.ScheduledMulticast ? "Yes" : "No (auto-cast: clients join a running session)");
        Add("Session start delay (minutes)", s.SessionStartDelayMinutes.ToString(CultureInfo.InvariantCulture));
        Add("Minimum session size (clients)", s.MinimumSessionSize.ToString(CultureInfo.InvariantCulture));
        Add("Transfer settings for slow clients", s.SlowClientPolicy switch
        {
            SlowClientPolicy.AutoDisconnect => "Automatically disconnect clients below the threshold",
            SlowClientPolicy.Multistream => $"Separate clients into {(s.MultistreamTiers == 3 ? "three sessions (fast, medium, slow)" : "two sessions (fast, slow)")}",
            _ => "Keep all clients in one session",
        });
        Add("Slow client threshold", RateParser.Format(s.SlowClientThreshold));
        Add("Allow a disconnected client to continue by unicast", AdminContext.YesNo(s.FallBackToUnicast));
        Add("Multistream sessions", s.MultistreamTiers.ToString(CultureInfo.InvariantCulture));
        Add("Session idle timeout", $"{s.SessionIdleTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
        return table;
    }
}
