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
    public async Task UrgentLoop_RunsAtThePacingNiceValue_WhenAllowed_AndOthersKeepTheDefault()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(await DedicatedThread.Run("test", () => DedicatedThread.TryRaisePriority()));
            return;
        }

        var urgentNice = await DedicatedThread.Run("test urgent", CurrentThreadNice, urgent: true);
        var plainNice = await DedicatedThread.Run("test plain", CurrentThreadNice);
        var processNice = CurrentThreadNice();
        Assert.Equal(processNice, plainNice);
        if (Environment.UserName == "root")
        {
            Assert.Equal(DedicatedThread.PacingNice, urgentNice); // CI and the lab run as root
        }
        else
        {
            Assert.True(urgentNice == DedicatedThread.PacingNice || urgentNice == processNice);
        }
    }
}
