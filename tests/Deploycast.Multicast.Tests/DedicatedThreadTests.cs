using Deploycast.Multicast.Transport;

namespace Deploycast.Multicast.Tests;

public sealed class DedicatedThreadTests
{
    /// <summary>The nice value of the calling thread, from /proc (field 19 of its stat line).</summary>
    private static int CurrentThreadNice()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture); // fields after the name start at field 3
    }

    [Fact]
    public async Task UrgentLoop_RunsAtThePacingNiceValue_WhenAllowed_AndAPlainOneAtItsCreators()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(await DedicatedThread.Run("test", () => DedicatedThread.TryRaisePriority()));
            return;
        }

        // A thread starts with its creator's nice value: compare on the creating thread, before any await moves on.
        var creatorNice = CurrentThreadNice();
        var plain = DedicatedThread.Run("test plain", CurrentThreadNice);
        Assert.Equal(creatorNice, await plain);

        var urgentNice = await DedicatedThread.Run("test urgent", CurrentThreadNice, urgent: true);
        if (Environment.UserName == "root")
        {
            Assert.Equal(DedicatedThread.PacingNice, urgentNice); // CI and the lab run as root
        }
    }
}
