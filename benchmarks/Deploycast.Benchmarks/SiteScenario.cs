using System.Globalization;
using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Benchmarks;

/// <summary>
/// The site a benchmark builds: devices laid out as buildings (1,000 devices each) of rooms (25 devices each), so a
/// rule picks a known share of them. Names <c>B{building}-R{room}-PC{seat}</c>; addresses <c>10.{building}.{room}.{10+seat}</c>;
/// MACs from eight vendor OUIs, every fifth device with a second NIC; four in five with an SMBIOS UUID. Everything is
/// drawn from one seed, so every store gets the same site.
/// </summary>
internal sealed class SiteScenario
{
    public const int DevicesPerBuilding = 1000;
    public const int DevicesPerRoom = 25;
    public const int RoomsPerBuilding = DevicesPerBuilding / DevicesPerRoom;

    private static readonly string[] Ouis = ["00:15:5d", "00:50:56", "08:00:27", "3c:ec:ef", "a4:bb:6d", "b8:ca:3a", "f4:8e:38", "00:1c:42"];

    public SiteScenario(int devices, int collections, int packages, int taskSequences, int deployments, int seed)
    {
        DeviceCount = devices;
        Buildings = (devices + DevicesPerBuilding - 1) / DevicesPerBuilding;
        var random = new Random(seed);
        Devices = Enumerable.Range(0, devices).Select(i => MakeDevice(i, random)).ToArray();
        PackageIds = Enumerable.Range(1, packages).Select(n => string.Create(CultureInfo.InvariantCulture, $"DC1{n:D5}")).ToArray();
        TaskSequences = Enumerable.Range(0, taskSequences).Select(n => MakeTaskSequence(n, random)).ToArray();
        Collections = MakeCollections(collections, random);
        DeploymentCount = deployments;
        Seed = seed;
    }

    public int DeviceCount { get; }

    public int Buildings { get; }

    public int Seed { get; }

    public int DeploymentCount { get; }

    /// <summary>What an agent on each device registers with (its IPv4 address included).</summary>
    public DeviceEntry[] Devices { get; }

    public string[] PackageIds { get; }

    public TaskSequenceDefinition[] TaskSequences { get; }

    /// <summary>Collections; the first <see cref="Buildings"/> are one building each (a name pattern, 1,000 devices).
    /// Direct members are device indexes here (the store's ids are known only after the import).</summary>
    public (string Name, CollectionRule[] Rules, int[] MemberIndexes, string Kind)[] Collections { get; }

    public static string Name(int i) => string.Create(CultureInfo.InvariantCulture, $"B{i / DevicesPerBuilding}-R{i % DevicesPerBuilding / DevicesPerRoom:D2}-PC{i % DevicesPerRoom:D2}");

    public static string Address(int i) => string.Create(CultureInfo.InvariantCulture, $"10.{i / DevicesPerBuilding}.{i % DevicesPerBuilding / DevicesPerRoom}.{10 + i % DevicesPerRoom}");

    public static string Mac(int i) => string.Create(CultureInfo.InvariantCulture, $"{Ouis[i % Ouis.Length]}:{(i >> 16) & 0xff:x2}:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}");

    private static DeviceEntry MakeDevice(int i, Random random)
    {
        var macs = i % 5 == 0 ? new[] { Mac(i), string.Create(CultureInfo.InvariantCulture, $"02:00:00:{(i >> 16) & 0xff:x2}:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}") } : [Mac(i)];
        var uuid = random.Next(5) == 0 ? null : new Guid(BitConverter.GetBytes(random.NextInt64()).Concat(BitConverter.GetBytes((long)i)).ToArray()).ToString();
        return new DeviceEntry(Name(i), macs, uuid, Address(i));
    }

    private TaskSequenceDefinition MakeTaskSequence(int n, Random random)
    {
        var steps = new List<TaskSequenceStep>
        {
            new("Partition", StepType.RunCommandLine, new Dictionary<string, string> { ["commandLine"] = "sgdisk --zap-all /dev/sda", ["timeoutSeconds"] = "600" }),
            new("Apply OS", StepType.ApplyOperatingSystemImage, new Dictionary<string, string> { ["package"] = PackageIds[random.Next(PackageIds.Length)], ["destination"] = "/dev/sda" }),
        };
        if (n % 3 == 0)
        {
            steps.Add(new("Apply data", StepType.ApplyDataImage, new Dictionary<string, string> { ["package"] = PackageIds[random.Next(PackageIds.Length)], ["destination"] = "/dev/sdb" }));
        }

        steps.Add(new("Role", StepType.SetVariable, new Dictionary<string, string> { ["name"] = "Role", ["value"] = "lab" }));
        steps.Add(new("Restart", StepType.RestartComputer, new Dictionary<string, string>()));
        return new TaskSequenceDefinition(string.Create(CultureInfo.InvariantCulture, $"Image {n:D2}"), "benchmark", steps);
    }

    private (string, CollectionRule[], int[], string)[] MakeCollections(int count, Random random)
    {
        var result = new List<(string, CollectionRule[], int[], string)>(count);
        int Room() => random.Next(Buildings * RoomsPerBuilding);
        int[] Members(int n) => Enumerable.Range(0, n).Select(_ => random.Next(DeviceCount)).Distinct().Order().ToArray();
        for (var b = 0; b < Buildings && result.Count < count; b++)
        {
            result.Add(($"Building {b}", [new(CollectionRuleKind.NamePattern, $"B{b}-*")], [], "name pattern (building)"));
        }

        // The rest in a fixed mix: name patterns, subnets, MAC prefixes, direct members, and some with several rules.
        string[] kinds = ["room name", "room subnet", "direct", "room name", "room subnet", "direct", "mac prefix", "wildcard", "building subnet", "mixed"];
        for (var k = 0; result.Count < count; k++)
        {
            var room = Room();
            var (b, r) = (room / RoomsPerBuilding, room % RoomsPerBuilding);
            var name = string.Create(CultureInfo.InvariantCulture, $"C{result.Count:D3} {kinds[k % kinds.Length]}");
            result.Add(kinds[k % kinds.Length] switch
            {
                "room name" => (name, [new(CollectionRuleKind.NamePattern, $"B{b}-R{r:D2}-*")], [], "name pattern (room)"),
                "room subnet" => (name, [new(CollectionRuleKind.IPv4Subnet, $"10.{b}.{r}.0/24")], [], "IPv4 subnet (room)"),
                "building subnet" => (name, [new(CollectionRuleKind.IPv4Subnet, $"10.{b}.0.0/16")], [], "IPv4 subnet (building)"),
                "direct" => (name, [], Members(20 + random.Next(60)), "direct members"),
                "mac prefix" => (name, [new(CollectionRuleKind.MacPrefix, k % 4 == 0 ? Ouis[random.Next(Ouis.Length)] : $"{Ouis[random.Next(Ouis.Length)]}:00:{random.Next(Math.Max(1, DeviceCount >> 8)):x2}")], [], "MAC prefix"),
                "wildcard" => (name, [new(CollectionRuleKind.NamePattern, $"B?-R{r:D2}-PC0?")], [], "name pattern (? wildcards)"),
                _ => (name,
                    [
                        new(CollectionRuleKind.NamePattern, $"B{b}-R{r:D2}-PC1*"),
                        new(CollectionRuleKind.IPv4Subnet, $"10.{b}.{(r + 1) % RoomsPerBuilding}.0/24"),
                        new(CollectionRuleKind.MacPrefix, $"{Ouis[random.Next(Ouis.Length)]}:00:{random.Next(Math.Max(1, DeviceCount >> 8)):x2}"),
                    ],
                    Members(10), "several rules + members"),
            });
        }

        return result.ToArray();
    }
}
