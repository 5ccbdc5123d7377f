using System.Net;
using Deploycast.DistributionPoint.Settings;

namespace Deploycast.DistributionPoint.Tests;

public class MulticastSettingsTests
{
    public static TheoryData<string, MulticastSettings, string, string> BadSettings => new()
    {
        { "interface not an address", new() { Interface = "eth0" }, "Interface", "must be an IPv4 address such as 127.0.0.1, not 'eth0'" },
        { "interface short form", new() { Interface = "10.1" }, "Interface", "not '10.1'" },
        { "interface IPv6", new() { Interface = "::1" }, "Interface", "not '::1'" },
        { "interface multicast", new() { Interface = "239.1.1.1" }, "Interface", "unicast address" },
        { "start unicast", new() { AddressRangeStart = "10.0.0.1" }, "AddressRangeStart", "multicast address (224.0.0.0-239.255.255.255), not '10.0.0.1'" },
        { "end not an address", new() { AddressRangeEnd = "239.256.0.1" }, "AddressRangeEnd", "not '239.256.0.1'" },
        { "end octal-looking", new() { AddressRangeEnd = "239.255.042.254" }, "AddressRangeEnd", "not '239.255.042.254'" },
        { "start in local control block", new() { AddressRangeStart = "224.0.0.5" }, "AddressRangeStart", "reserved for local network control" },
        { "start after end", new() { AddressRangeStart = "239.255.43.1" }, "AddressRangeStart", "(239.255.43.1) must not be greater than AddressRangeEnd (239.255.42.254)" },
        { "port zero", new() { PortRangeStart = 0 }, "PortRangeStart", "between 1024 and 65535, not 0" },
        { "port over 65535", new() { PortRangeEnd = 70000 }, "PortRangeEnd", "between 1024 and 65535, not 70000" },
        { "privileged port", new() { PortRangeStart = 80 }, "PortRangeStart", "not 80" },
        { "ports reversed", new() { PortRangeStart = 64001 }, "PortRangeStart", "(64001) must not be greater than PortRangeEnd (64000)" },
        { "rate under 1 Mbit/s", new() { ClientTransferRate = 500_000 }, "ClientTransferRate", "not 500000" },
        { "rate absurd", new() { ClientTransferRate = 1_000_000_000_000 }, "ClientTransferRate", "not 1000000000000" },
        { "no clients", new() { MaximumClients = 0 }, "MaximumClients", "between 1 and 10000, not 0" },
        { "too many clients", new() { MaximumClients = 10_001 }, "MaximumClients", "not 10001" },
        { "negative delay", new() { SessionStartDelayMinutes = -1 }, "SessionStartDelayMinutes", "between 0 and 1440 (24 hours), not -1" },
        { "delay over a day", new() { SessionStartDelayMinutes = 1441 }, "SessionStartDelayMinutes", "not 1441" },
        { "session size zero", new() { MinimumSessionSize = 0 }, "MinimumSessionSize", "between 1 and 10000, not 0" },
        { "session size above maximum clients", new() { ScheduledMulticast = true, MinimumSessionSize = 200 }, "MinimumSessionSize", "must not exceed MaximumClients (100)" },
        { "undefined policy", new() { SlowClientPolicy = (SlowClientPolicy)7 }, "SlowClientPolicy", "not '7'" },
        { "threshold tiny", new() { SlowClientThreshold = 10 }, "SlowClientThreshold", "not 10" },
        { "threshold at the ceiling", new() { SlowClientPolicy = SlowClientPolicy.AutoDisconnect, ClientTransferRate = 1_000_000 }, "SlowClientThreshold", "must be below ClientTransferRate (1000000)" },
        { "medium tier at the ceiling", new() { SlowClientPolicy = SlowClientPolicy.Multistream, MultistreamTiers = 3, ClientTransferRate = 4_000_000 }, "SlowClientThreshold", "SlowClientThreshold x 4 (4000000), the medium tier's rate with 3 MultistreamTiers, must be below ClientTransferRate (4000000)" },
        { "tiers 4", new() { MultistreamTiers = 4 }, "MultistreamTiers", "must be 2 or 3, not 4" },
        { "tiers 1", new() { MultistreamTiers = 1 }, "MultistreamTiers", "not 1" },
        { "multistream without enough pairs", new() { SlowClientPolicy = SlowClientPolicy.Multistream, AddressRangeEnd = "239.255.42.1", PortRangeEnd = 63000 }, "MultistreamTiers", "hold only 1" },
        { "idle timeout too short", new() { SessionIdleTimeout = TimeSpan.FromMilliseconds(500) }, "SessionIdleTimeout", "between 1 second and 1 hour" },
        { "idle timeout too long", new() { SessionIdleTimeout = TimeSpan.FromHours(2) }, "SessionIdleTimeout", "between 1 second and 1 hour" },
    };

    [Fact]
    public void Default_IsValid()
    {
        Assert.Empty(MulticastSettings.Default.Validate());
        MulticastSettings.Default.ValidateOrThrow();
    }

    [Fact]
    public void Default_HasTheDocumentedValues()
    {
        var d = MulticastSettings.Default;
        Assert.True(d.Enabled);
        Assert.Equal("127.0.0.1", d.Interface);
        Assert.Equal(("239.255.42.1", "239.255.42.254"), (d.AddressRangeStart, d.AddressRangeEnd));
        Assert.Equal((63000, 64000), (d.PortRangeStart, d.PortRangeEnd));
        Assert.Null(d.ClientTransferRate);
        Assert.Equal(100, d.MaximumClients);
        Assert.False(d.ScheduledMulticast);
        Assert.Equal((15, 20), (d.SessionStartDelayMinutes, d.MinimumSessionSize));
        Assert.Equal(SlowClientPolicy.None, d.SlowClientPolicy);
        Assert.Equal(1_000_000, d.SlowClientThreshold);
        Assert.True(d.FallBackToUnicast);
        Assert.Equal(2, d.MultistreamTiers);
        Assert.Equal(TimeSpan.FromSeconds(60), d.SessionIdleTimeout);
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Validate_NamesTheBadSetting(string why, MulticastSettings settings, string setting, string fragment)
    {
        var errors = settings.Validate();

        var error = Assert.Single(errors);
        Assert.True(error.Setting == setting, $"{why}: expected {setting}, got {error.Setting}: {error.Message}");
        Assert.StartsWith(setting, error.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnicastRangeStart_SaysWhatAMulticastAddressIs()
    {
        var error = Assert.Single(new MulticastSettings { AddressRangeStart = "10.0.0.1" }.Validate());

        Assert.Equal("AddressRangeStart must be an IPv4 multicast address (224.0.0.0-239.255.255.255), not '10.0.0.1'.", error.Message);
    }

    [Fact]
    public void Validate_ReturnsEveryError_NotOnlyTheFirst()
    {
        var settings = new MulticastSettings
        {
            Interface = "nowhere",
            AddressRangeEnd = "10.0.0.1",
            PortRangeStart = 0,
            MaximumClients = -5,
            MultistreamTiers = 4,
            SessionIdleTimeout = TimeSpan.Zero,
        };

        var names = settings.Validate().Select(e => e.Setting).ToList();

        Assert.Equal(["Interface", "AddressRangeEnd", "PortRangeStart", "MaximumClients", "MultistreamTiers", "SessionIdleTimeout"], names);
    }

    [Fact]
    public void Validate_SlowClientRulesApplyOnlyWithAPolicy()
    {
        // A threshold above the ceiling is harmless while no policy uses it.
        Assert.Empty(new MulticastSettings { ClientTransferRate = 1_000_000, SlowClientThreshold = 5_000_000 }.Validate());
        Assert.Empty(new MulticastSettings { SlowClientPolicy = SlowClientPolicy.Multistream, MultistreamTiers = 3, ClientTransferRate = 10_000_000 }.Validate());
    }

    [Fact]
    public void ValidateOrThrow_MessageListsEverySetting()
    {
        var settings = new MulticastSettings { AddressRangeStart = "1.2.3.4", PortRangeEnd = 99_999 };

        var e = Assert.Throws<MulticastSettingsException>(settings.ValidateOrThrow);

        Assert.Equal(2, e.Errors.Count);
        Assert.Contains("AddressRangeStart must be an IPv4 multicast address", e.Message, StringComparison.Ordinal);
        Assert.Contains("PortRangeEnd must be between 1024 and 65535, not 99999", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsedHelpers_ReadTheAddresses()
    {
        var settings = new MulticastSettings { Interface = "192.168.10.5", AddressRangeStart = "239.1.0.255", AddressRangeEnd = "239.1.1.1", PortRangeStart = 63000, PortRangeEnd = 63001 };

        Assert.Equal(IPAddress.Parse("192.168.10.5"), settings.InterfaceAddress);
        Assert.Equal(0xEF0100FFu, settings.AddressStart);
        Assert.Equal(0xEF010101u, settings.AddressEnd);
        Assert.Equal(6ul, settings.PairCount);
    }
}
