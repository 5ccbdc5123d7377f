using System.Net;
using System.Security.Cryptography;
using Deploycast.Multicast.Receiving;
using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Storage;
using Deploycast.Multicast.Transport;
using Deploycast.Protocol.Manifests;

namespace Deploycast.IntegrationTests;

/// <summary>Real UDP multicast over loopback (127.0.0.1, TTL 1): nothing leaves the machine.</summary>
public sealed class LoopbackTransferTests
{
    private static async Task<(SenderSummary Sender, ReceiverResult[] Receivers)> TransferAsync(string source, string[] outputs, byte[]? key, long? rate)
    {
        var group = TestPorts.NextGroup();
        var options = SenderOptions.Default with { MinReceivers = outputs.Length, MaxWait = TimeSpan.FromSeconds(20), Key = key, MaxRate = rate, Name = Path.GetFileName(source) };
        await using var stream = File.OpenRead(source);
        var manifest = await TransferManifest.BuildAsync(stream, SenderSession.BlockSizeFor(options), null, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var stores = outputs.Select(o => new FileReceiverStore(o)).ToArray();
        var sessions = stores.Select(s => new ReceiverSession(s, ReceiverOptions.Default with { Key = key })).ToArray();
        var receivers = sessions.Select(s => new MulticastReceiver(s, IPAddress.Loopback, group)).ToArray();
        var receiving = receivers.Select(r => r.RunAsync(timeout.Token)).ToArray();

        using var content = new FileSenderContent(source);
        using var session = new SenderSession(manifest, content, options);
        using var sender = new MulticastSender(session, IPAddress.Loopback, group);
        var summary = await sender.RunAsync(timeout.Token);
        var results = await Task.WhenAll(receiving);
        foreach (var disposable in receivers.Cast<IDisposable>().Concat(sessions).Concat(stores))
        {
            disposable.Dispose();
        }

        return (summary, results);
    }

    [Fact]
    public async Task ThreeReceivers_OverLoopback_AllEndByteEqual()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("image.raw", 12_000_000, 1);
        var outputs = Enumerable.Range(1, 3).Select(i => temp.File($"copy{i}.raw")).ToArray();

        var (summary, results) = await TransferAsync(source, outputs, key: null, rate: null);

        Assert.All(results, r => Assert.True(r.Succeeded, r.Failure));
        Assert.True(summary.AllReceiversComplete);
        Assert.Equal(3, summary.Receivers.Count);
        var expected = SHA256.HashData(File.ReadAllBytes(source));
        foreach (var output in outputs)
        {
            Assert.Equal(expected, SHA256.HashData(File.ReadAllBytes(output)));
            Assert.False(File.Exists(BlockMapFile.PathFor(output)), "the block map must be removed once the file is verified");
        }
    }

    [Fact]
    public async Task EncryptedSession_OverLoopback_EndsByteEqual()
    {
        using var temp = new TempDirectory();
        var source = temp.RandomFile("image.raw", 3_000_000, 2);
        var output = temp.File("copy.raw");
        var key = RandomNumberGenerator.GetBytes(32);

        var (summary, results) = await TransferAsync(source, [output], key, rate: 200_000_000);

        Assert.True(results[0].Succeeded, results[0].Failure);
        Assert.True(summary.AllReceiversComplete);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(output));
    }
}
