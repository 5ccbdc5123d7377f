using System.Globalization;
using System.Net;

namespace Deploycast.DistributionPoint.Settings;

/// <summary>
/// A distribution point's multicast settings, as on the Multicast tab of a Configuration Manager distribution point
/// (Set-CMMulticastServicePoint) plus the WDS slow-client settings. Immutable: change them with <c>with</c>.
/// </summary>
/// <remarks>
/// The scheduler reads the settings at every call, so a host may swap them at run time; it should call
/// <see cref="ValidateOrThrow"/> before it does.
/// </remarks>
public sealed record MulticastSettings
{
    /// <summary>Smallest <see cref="ClientTransferRate"/>: 1 Mbit/s.</summary>
    public const long MinimumTransferRate = 1_000_000;

    /// <summary>Largest rate any rate setting accepts: 100 Gbit/s (a larger value is a unit mistake).</summary>
    public const long MaximumRate = 100_000_000_000;

    /// <summary>Smallest <see cref="SlowClientThreshold"/>: 8000 bits/s (1 KB/s, WDS counts in KBps).</summary>
    public const long MinimumSlowClientThreshold = 8_000;

    /// <summary>
    /// The medium tier of three runs at this multiple of <see cref="SlowClientThreshold"/>; see
    /// <see cref="MultistreamTiers"/>.
    /// </summary>
    public const int MediumTierFactor = 4;

    /// <summary>Lowest port of the port range: ports below 1024 need privileges that a receiving client lacks.</summary>
    public const int MinimumPort = 1024;

    /// <summary>The defaults listed on each property; valid.</summary>
    public static MulticastSettings Default { get; } = new();

    /// <summary>
    /// Whether this distribution point serves content by multicast. Default <see langword="true"/>: unlike Configuration
    /// Manager, where multicast is off until an administrator enables it, Deploycast's distribution point is
    /// multicast-first; clients fall back to unicast (HTTP) when a package does not allow multicast.
    /// </summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// The IPv4 address of the interface that multicast sessions send on. Default "127.0.0.1": loopback, so nothing
    /// leaves the machine by accident; set the address of the deployment network's interface.
    /// </summary>
    public string Interface { get; init; } = "127.0.0.1";

    /// <summary>
    /// First group address that sessions may use (IPv4 multicast). Default "239.255.42.1", in the
    /// administratively scoped range 239.0.0.0/8 that Configuration Manager asks for, but not WDS's shared default,
    /// so a WDS server on the same network does not collide with it.
    /// </summary>
    public string AddressRangeStart { get; init; } = "239.255.42.1";

    /// <summary>Last group address that sessions may use (IPv4 multicast). Default "239.255.42.254".</summary>
    public string AddressRangeEnd { get; init; } = "239.255.42.254";

    /// <summary>First UDP port that sessions may use. Default 63000 (Configuration Manager's multicast ports are 63000-64000).</summary>
    public int PortRangeStart { get; init; } = 63000;

    /// <summary>Last UDP port that sessions may use. Default 64000.</summary>
    public int PortRangeEnd { get; init; } = 64000;

    /// <summary>
    /// Ceiling of a session's sending rate in bits per second. Default <see langword="null"/>: the rate is dynamic,
    /// with no ceiling (Configuration Manager: "Transfer speed is dynamic"). When set, at least 1 Mbit/s.
    /// </summary>
    public long? ClientTransferRate { get; init; }

    /// <summary>
    /// How many clients may receive by multicast from this distribution point at once, across all its sessions
    /// (waiting clients of a scheduled session count). Default 100; 1 to 10000.
    /// </summary>
    public int MaximumClients { get; init; } = 100;

    /// <summary>
    /// Scheduled-cast: a session waits for <see cref="MinimumSessionSize"/> clients or
    /// <see cref="SessionStartDelayMinutes"/>, whichever comes first. Default <see langword="false"/>: auto-cast,
    /// the first request starts the session and later clients join it in progress.
    /// </summary>
    public bool ScheduledMulticast { get; init; }

    /// <summary>Scheduled-cast: minutes from a session's first request to its start. Default 15; 0 to 1440.</summary>
    public int SessionStartDelayMinutes { get; init; } = 15;

    /// <summary>Scheduled-cast: waiting clients that start a session before the delay has passed. Default 20; 1 to 10000.</summary>
    public int MinimumSessionSize { get; init; } = 20;

    /// <summary>What happens to clients that cannot keep up. Default <see cref="Settings.SlowClientPolicy.None"/>.</summary>
    public SlowClientPolicy SlowClientPolicy { get; init; } = SlowClientPolicy.None;

    /// <summary>
    /// The rate in bits per second under which a client is slow: auto-disconnect dismisses a slow client under it,
    /// and it is the ceiling of the slowest multistream tier. Default 1,000,000 (1 Mbit/s); at least 8000.
    /// </summary>
    public long SlowClientThreshold { get; init; } = 1_000_000;

    /// <summary>
    /// Auto-disconnect: whether a dismissed client may fall back to unicast (only when the package is not
    /// "multicast only"). Default <see langword="true"/>; off, the dismissed client's download fails.
    /// </summary>
    public bool FallBackToUnicast { get; init; } = true;

    /// <summary>
    /// Multistream: number of speed tiers, 2 (fast, slow) or 3 (fast, medium, slow). Default 2. The fast tier runs at
    /// <see cref="ClientTransferRate"/>, the slow tier at <see cref="SlowClientThreshold"/>, and the medium tier at
    /// <see cref="MediumTierFactor"/> times the threshold.
    /// </summary>
    public int MultistreamTiers { get; init; } = 2;

    /// <summary>
    /// How long a session lingers once all its clients are done, with no new request, before it ends (so a late
    /// client can still join it). Default 60 seconds; 1 second to 1 hour.
    /// </summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The parsed <see cref="Interface"/>; throws <see cref="MulticastSettingsException"/> when it is not valid.</summary>
    internal IPAddress InterfaceAddress =>
        Ipv4.TryParse(Interface, out var address) ? Ipv4.ToAddress(address) : throw new MulticastSettingsException(Validate());

    /// <summary>The parsed <see cref="AddressRangeStart"/> in host order.</summary>
    internal uint AddressStart => ParseOrThrow(AddressRangeStart);

    /// <summary>The parsed <see cref="AddressRangeEnd"/> in host order.</summary>
    internal uint AddressEnd => ParseOrThrow(AddressRangeEnd);

    /// <summary>Number of (group, port) pairs the two ranges hold.</summary>
    internal ulong PairCount => ((ulong)AddressEnd - AddressStart + 1) * (ulong)(PortRangeEnd - PortRangeStart + 1);

    /// <summary>The ranges as an administrator reads them, for messages.</summary>
    internal string RangesText => string.Create(
        CultureInfo.InvariantCulture,
        $"addresses {AddressRangeStart}-{AddressRangeEnd}, ports {PortRangeStart}-{PortRangeEnd}");

    /// <summary>Checks every setting and returns every error (empty when the settings are valid).</summary>
    public IReadOnlyList<SettingError> Validate()
    {
        var errors = new List<SettingError>();
        void Add(string setting, string message) => errors.Add(new SettingError(setting, message));

        if (!Ipv4.TryParse(Interface, out var interfaceAddress))
        {
            Add(nameof(Interface), $"{nameof(Interface)} must be an IPv4 address such as 127.0.0.1, not '{Interface}'.");
        }
        else if (Ipv4.IsMulticast(interfaceAddress) || interfaceAddress == uint.MaxValue)
        {
            Add(nameof(Interface), $"{nameof(Interface)} must be the unicast address of one of this machine's interfaces, not '{Interface}'.");
        }

        var startValid = CheckGroupAddress(errors, nameof(AddressRangeStart), AddressRangeStart, out var start);
        var endValid = CheckGroupAddress(errors, nameof(AddressRangeEnd), AddressRangeEnd, out var end);
        if (startValid && endValid && start > end)
        {
            Add(nameof(AddressRangeStart), $"{nameof(AddressRangeStart)} ({AddressRangeStart}) must not be greater than {nameof(AddressRangeEnd)} ({AddressRangeEnd}).");
        }

        var portsValid = CheckRange(errors, nameof(PortRangeStart), PortRangeStart, MinimumPort, 65535, null)
            & CheckRange(errors, nameof(PortRangeEnd), PortRangeEnd, MinimumPort, 65535, null);
        if (portsValid && PortRangeStart > PortRangeEnd)
        {
            Add(nameof(PortRangeStart), $"{nameof(PortRangeStart)} ({PortRangeStart}) must not be greater than {nameof(PortRangeEnd)} ({PortRangeEnd}).");
            portsValid = false;
        }

        if (ClientTransferRate is { } rate && (rate < MinimumTransferRate || rate > MaximumRate))
        {
            Add(nameof(ClientTransferRate), Invariant(
                $"{nameof(ClientTransferRate)} must be between {MinimumTransferRate} (1 Mbit/s) and {MaximumRate} (100 Gbit/s) bits per second when set, not {rate}."));
        }

        CheckRange(errors, nameof(MaximumClients), MaximumClients, 1, 10_000, null);
        CheckRange(errors, nameof(SessionStartDelayMinutes), SessionStartDelayMinutes, 0, 1440, " (24 hours)");
        if (CheckRange(errors, nameof(MinimumSessionSize), MinimumSessionSize, 1, 10_000, null)
            && ScheduledMulticast && MinimumSessionSize > MaximumClients && MaximumClients >= 1)
        {
            Add(nameof(MinimumSessionSize), Invariant(
                $"{nameof(MinimumSessionSize)} ({MinimumSessionSize}) must not exceed {nameof(MaximumClients)} ({MaximumClients}): the session could only ever start after {nameof(SessionStartDelayMinutes)}."));
        }

        if (!Enum.IsDefined(SlowClientPolicy))
        {
            Add(nameof(SlowClientPolicy), $"{nameof(SlowClientPolicy)} must be None, AutoDisconnect or Multistream, not '{SlowClientPolicy}'.");
        }

        if (SlowClientThreshold < MinimumSlowClientThreshold || SlowClientThreshold > MaximumRate)
        {
            Add(nameof(SlowClientThreshold), Invariant(
                $"{nameof(SlowClientThreshold)} must be between {MinimumSlowClientThreshold} (1 KB/s) and {MaximumRate} bits per second, not {SlowClientThreshold}."));
        }
        else if (SlowClientPolicy != SlowClientPolicy.None && ClientTransferRate is { } ceiling && ceiling >= MinimumTransferRate)
        {
            if (SlowClientThreshold >= ceiling)
            {
                Add(nameof(SlowClientThreshold), Invariant(
                    $"{nameof(SlowClientThreshold)} ({SlowClientThreshold}) must be below {nameof(ClientTransferRate)} ({ceiling}), or every client would be slow."));
            }
            else if (SlowClientPolicy == SlowClientPolicy.Multistream && MultistreamTiers == 3 && SlowClientThreshold * MediumTierFactor >= ceiling)
            {
                Add(nameof(SlowClientThreshold), Invariant(
                    $"{nameof(SlowClientThreshold)} x {MediumTierFactor} ({SlowClientThreshold * MediumTierFactor}), the medium tier's rate with 3 {nameof(MultistreamTiers)}, must be below {nameof(ClientTransferRate)} ({ceiling})."));
            }
        }

        if (MultistreamTiers is not (2 or 3))
        {
            Add(nameof(MultistreamTiers), Invariant($"{nameof(MultistreamTiers)} must be 2 or 3, not {MultistreamTiers}."));
        }
        else if (SlowClientPolicy == SlowClientPolicy.Multistream && startValid && endValid && start <= end && portsValid)
        {
            // One package version needs a pair per tier at once; fewer could never move a client down.
            var pairs = ((ulong)end - start + 1) * (ulong)(PortRangeEnd - PortRangeStart + 1);
            if (pairs < (ulong)MultistreamTiers)
            {
                Add(nameof(MultistreamTiers), Invariant(
                    $"{nameof(MultistreamTiers)} ({MultistreamTiers}) needs at least {MultistreamTiers} group/port pairs for one package, but the address and port ranges hold only {pairs}."));
            }
        }

        if (SessionIdleTimeout < TimeSpan.FromSeconds(1) || SessionIdleTimeout > TimeSpan.FromHours(1))
        {
            Add(nameof(SessionIdleTimeout), Invariant(
                $"{nameof(SessionIdleTimeout)} must be between 1 second and 1 hour, not {SessionIdleTimeout}."));
        }

        return errors;
    }

    /// <summary>Throws <see cref="MulticastSettingsException"/> listing every error when any setting is invalid.</summary>
    public void ValidateOrThrow()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new MulticastSettingsException(errors);
        }
    }

    private static bool CheckGroupAddress(List<SettingError> errors, string setting, string value, out uint address)
    {
        if (!Ipv4.TryParse(value, out address) || !Ipv4.IsMulticast(address))
        {
            errors.Add(new SettingError(setting, $"{setting} must be an IPv4 multicast address (224.0.0.0-239.255.255.255), not '{value}'."));
            return false;
        }

        if (address <= Ipv4.LocalControlLast)
        {
            errors.Add(new SettingError(setting,
                $"{setting} must not be in 224.0.0.0-224.0.0.255, which is reserved for local network control (routing protocols, IGMP), not '{value}'."));
            return false;
        }

        return true;
    }

    private static bool CheckRange(List<SettingError> errors, string setting, int value, int min, int max, string? note)
    {
        if (value >= min && value <= max)
        {
            return true;
        }

        errors.Add(new SettingError(setting, Invariant($"{setting} must be between {min} and {max}{note}, not {value}.")));
        return false;
    }

    private uint ParseOrThrow(string value) =>
        Ipv4.TryParse(value, out var address) ? address : throw new MulticastSettingsException(Validate());

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
