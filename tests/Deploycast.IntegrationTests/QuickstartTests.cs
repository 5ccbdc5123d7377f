namespace Deploycast.IntegrationTests;

/// <summary>The README's main job, run as a user runs it: <c>deploycast quickstart</c> as a process.</summary>
public sealed class QuickstartTests
{
    [Fact]
    public async Task Quickstart_ImagesEveryLocalAgentByMulticast_AndSaysWhatItSaved()
    {
        using var directory = new TempDirectory();
        using var quickstart = CliProcess.Start("quickstart", "--clients", "3", "--size", "12", "--data-dir", directory.File("qs"));
        var exit = await quickstart.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, quickstart.Output);
        Assert.Contains("3 succeeded, 0 in progress, 0 failed", quickstart.Output, StringComparison.Ordinal);
        Assert.Contains("Every copy byte-equal to the image: 3 of 3.", quickstart.Output, StringComparison.Ordinal);
        Assert.Contains("by multicast for 3 computers", quickstart.Output, StringComparison.Ordinal);
        foreach (var agent in new[] { "agent-01", "agent-02", "agent-03" })
        {
            Assert.True(File.Exists(Path.Combine(directory.File("qs"), agent, "disk.img")), $"{agent} has no disk image:\n{quickstart.Output}");
        }
    }
}
