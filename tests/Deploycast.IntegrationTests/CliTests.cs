using System.Security.Cryptography;
using Deploycast.Multicast.Storage;

namespace Deploycast.IntegrationTests;

/// <summary>The <c>deploycast send</c> and <c>receive</c> commands as a user runs them, over loopback.</summary>
public sealed class CliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string[] Endpoint()
    {
        var group = TestPorts.NextGroup();
        return ["--group", group.Address.ToString(), "--port", group.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)];
    }

    [Fact]
    public async Task SendAndReceive_TwoReceivers_ExitZeroWithVerifiedCopies()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("disk.img", 5_000_000, 3);
        var endpoint = Endpoint();
        using var first = CliProcess.Start(["receive", "--output", temp.File("a.img"), .. endpoint]);
        using var second = CliProcess.Start(["receive", "--output", temp.File("b.img"), .. endpoint]);
        using var sender = CliProcess.Start(["send", source, "--min-receivers", "2", "--max-wait", "30", .. endpoint]);

        Assert.Equal(0, await sender.WaitAsync(Timeout));
        Assert.Equal(0, await first.WaitAsync(Timeout));
        Assert.Equal(0, await second.WaitAsync(Timeout));
        Assert.Contains("goodput", sender.Output, StringComparison.Ordinal);
        Assert.Contains("Received and verified", first.Output, StringComparison.Ordinal);
        var expected = SHA256.HashData(File.ReadAllBytes(source));
        Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(temp.File("a.img"))));
        Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(temp.File("b.img"))));
    }

    [Fact]
    public async Task Receiver_KilledAndRestarted_ResumesAndEndsByteEqual()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("disk.img", 30_000_000, 4);
        var output = temp.File("copy.img");
        var endpoint = Endpoint();

        // 40 Mbit/s: about six seconds, so the receiver is killed well inside the transfer.
        using var sender = CliProcess.Start(["send", source, "--rate", "40M", "--max-wait", "30", .. endpoint]);
        using (var doomed = CliProcess.Start(["receive", "--output", output, .. endpoint]))
        {
            var map = BlockMapFile.PathFor(output);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!File.Exists(map))
            {
                Assert.True(DateTime.UtcNow < deadline, "the receiver never wrote a block map");
                await Task.Delay(100);
            }

            // Let a few checkpoints land, then kill it without warning (SIGKILL: no chance to say goodbye).
            await Task.Delay(2500);
            doomed.Kill();
        }

        using var again = CliProcess.Start(["receive", "--output", output, .. endpoint]);
        Assert.Equal(0, await again.WaitAsync(Timeout));
        Assert.Equal(0, await sender.WaitAsync(Timeout));
        Assert.Contains("resumed with", again.Output, StringComparison.Ordinal);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(source)), SHA256.HashData(File.ReadAllBytes(output)));
        Assert.Contains("resumed what", sender.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_TheSameImageTwice_HashesItOnce_AndAgainWhenItChanges()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("disk.img", 2_000_000, 9);
        var cache = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = temp.File("cache") };
        async Task<string> SendOnceAsync(string output) => (await SendToOneReceiverAsync(cache, source, temp.File(output))).Sender;

        Assert.DoesNotContain("using the manifest made when", await SendOnceAsync("first.img"), StringComparison.Ordinal);
        Assert.Contains("using the manifest made when", await SendOnceAsync("second.img"), StringComparison.Ordinal);

        // A changed image (new content, new modification time) is hashed again, and its copy is the new content.
        var changed = new byte[2_000_000];
        new Random(10).NextBytes(changed);
        await File.WriteAllBytesAsync(source, changed);
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddMinutes(1));
        Assert.DoesNotContain("using the manifest made when", await SendOnceAsync("third.img"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_AnImageChangedInPlaceBehindTheKeptManifest_StopsWithTheReason_AndHashesAgainNextTime()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("lab.img", 3_000_000, 12);
        var cache = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = temp.File("cache") };
        using (var prepare = CliProcess.Start(cache, ["send", source, "--prepare"]))
        {
            Assert.Equal(0, await prepare.WaitAsync(Timeout));
        }

        // One byte in the middle changes, and the modification time is put back: the kept manifest still looks
        // current, so only the sender's check of what it reads (against the block checksums kept with the manifest)
        // can notice.
        var stamp = File.GetLastWriteTimeUtc(source);
        using (var stream = new FileStream(source, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 1_500_000;
            var original = stream.ReadByte();
            stream.Position = 1_500_000;
            stream.WriteByte((byte)(original ^ 0xFF));
        }

        File.SetLastWriteTimeUtc(source, stamp);
        var endpoint = Endpoint();
        using (var receiver = CliProcess.Start(cache, ["receive", "--output", temp.File("copy.img"), .. endpoint]))
        using (var sender = CliProcess.Start(cache, ["send", source, "--max-wait", "30", .. endpoint]))
        {
            Assert.Equal(1, await sender.WaitAsync(Timeout));
            Assert.NotEqual(0, await receiver.WaitAsync(Timeout));
            Assert.Contains("using the manifest made when lab.img was last sent", sender.Output, StringComparison.Ordinal);
            Assert.Contains("the source changed after it was hashed", sender.Output, StringComparison.Ordinal);
        }

        // The stale entry was dropped: the next send hashes the image as it is now, and its copy is that.
        var (resend, _) = await SendToOneReceiverAsync(cache, source, temp.File("again.img"));
        Assert.DoesNotContain("using the manifest made when", resend, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendPrepare_HashesAheadOfTime_SoTheSendThatFollowsStartsFromTheKeptManifest()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("prepared.img", 1_500_000, 11);
        var cache = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = temp.File("cache") };
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(source)));

        using (var prepare = CliProcess.Start(cache, ["send", source, "--prepare"]))
        {
            Assert.Equal(0, await prepare.WaitAsync(Timeout));
            Assert.Contains("Manifest made and kept for prepared.img", prepare.Output, StringComparison.Ordinal);
            Assert.Contains(expected, prepare.Output, StringComparison.Ordinal);
        }

        using (var again = CliProcess.Start(cache, ["send", source, "--prepare"]))
        {
            Assert.Equal(0, await again.WaitAsync(Timeout));
            Assert.Contains("Manifest already kept for prepared.img", again.Output, StringComparison.Ordinal);
        }

        var (sender, receiver) = await SendToOneReceiverAsync(cache, source, temp.File("copy.img"), "-v");
        Assert.Contains("using the manifest made when prepared.img was last sent", sender, StringComparison.Ordinal);
        Assert.Contains("final check", receiver, StringComparison.Ordinal);
        Assert.Matches(@"last block written \d+ ms after its last symbol", receiver);
    }

    /// <summary>Sends <paramref name="source"/> to one receiver writing <paramref name="output"/>; both must exit 0 and
    /// the copy must equal the source. Returns what each printed.</summary>
    private static async Task<(string Sender, string Receiver)> SendToOneReceiverAsync(
        Dictionary<string, string> environment, string source, string output, params string[] receiverOptions)
    {
        var endpoint = Endpoint();
        using var receiver = CliProcess.Start(environment, ["receive", "--output", output, .. receiverOptions, .. endpoint]);
        using var sender = CliProcess.Start(environment, ["send", source, "--max-wait", "30", .. endpoint]);
        Assert.Equal(0, await sender.WaitAsync(Timeout));
        Assert.Equal(0, await receiver.WaitAsync(Timeout));
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(output));
        return (sender.Output, receiver.Output);
    }

    [Fact]
    public async Task Receive_WithTheWrongKey_ExitsNonZeroAndSaysWhy()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("disk.img", 1_000_000, 5);
        await File.WriteAllBytesAsync(temp.File("right.key"), RandomNumberGenerator.GetBytes(32));
        await File.WriteAllBytesAsync(temp.File("wrong.key"), RandomNumberGenerator.GetBytes(32));
        var endpoint = Endpoint();
        using var sender = CliProcess.Start(["send", source, "--key-file", temp.File("right.key"), "--max-wait", "60", .. endpoint]);
        using var receiver = CliProcess.Start(["receive", "--output", temp.File("copy.img"), "--key-file", temp.File("wrong.key"), .. endpoint]);

        Assert.Equal(1, await receiver.WaitAsync(Timeout));
        Assert.Contains("wrong key", receiver.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("copy.img")) && new FileInfo(temp.File("copy.img")).Length > 0);
    }

    [Theory]
    [InlineData("--group", "10.1.2.3", "--group: '10.1.2.3' is not an IPv4 multicast address")]
    [InlineData("--interface", "nonsense", "--interface: 'nonsense' is not an IPv4 address")]
    [InlineData("--port", "70000", "--port: 70000 is out of range")]
    public async Task Receive_WithABadOption_NamesTheOption(string option, string value, string message)
    {
        using var temp = new TempDirectory();
        using var receiver = CliProcess.Start("receive", "--output", temp.File("x"), option, value);
        Assert.NotEqual(0, await receiver.WaitAsync(Timeout));
        Assert.Contains(message, receiver.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_WithAKeyFileOfTheWrongSize_SaysSo()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("disk.img", 1000, 6);
        await File.WriteAllBytesAsync(temp.File("short.key"), new byte[16]);
        using var sender = CliProcess.Start("send", source, "--key-file", temp.File("short.key"));
        Assert.Equal(2, await sender.WaitAsync(Timeout));
        Assert.Contains("holds 16 bytes; a key file holds exactly 32 raw bytes", sender.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_WithABadRate_SaysHowToWriteOne()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("disk.img", 1000, 7);
        using var sender = CliProcess.Start("send", source, "--rate", "fast");
        Assert.NotEqual(0, await sender.WaitAsync(Timeout));
        Assert.Contains("--rate: 'fast' is not a rate", sender.Output, StringComparison.Ordinal);
    }
}
