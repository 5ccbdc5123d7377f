using Deploycast.Content.Storage;

namespace Deploycast.Content.Tests.Storage;

public sealed class DurableFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public void TryCreate_WhereNoFileIs_WritesItAndLeavesNothingElse()
    {
        var path = _temp.File("key.pem");

        Assert.True(DurableFile.TryCreate(path, "first"u8));

        Assert.Equal("first"u8.ToArray(), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void TryCreate_WhereTheFileExists_ReturnsFalseAndKeepsTheOldBytes()
    {
        var path = _temp.File("key.pem");
        File.WriteAllBytes(path, "old"u8.ToArray());

        Assert.False(DurableFile.TryCreate(path, "new"u8));

        Assert.Equal("old"u8.ToArray(), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public async Task TryCreate_ByManyAtOnce_LetsExactlyOneWin()
    {
        // .NET's File.Move(overwrite: false) looks, then renames: with it, several of these won at once and the file
        // on disk held only the last one's bytes.
        const int writers = 16;
        for (var round = 0; round < 20; round++)
        {
            var path = _temp.File($"key-{round}.pem");
            using var barrier = new Barrier(writers);
            var won = await Task.WhenAll(Enumerable.Range(0, writers).Select(i => Task.Factory.StartNew(() =>
            {
                barrier.SignalAndWait();
                return DurableFile.TryCreate(path, BitConverter.GetBytes(i)) ? i : -1;
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

            var winner = Assert.Single(won, i => i >= 0);
            Assert.Equal(BitConverter.GetBytes(winner), File.ReadAllBytes(path));
        }

        Assert.Equal(20, Directory.GetFiles(_temp.Path).Length);
    }

    public void Dispose() => _temp.Dispose();
}
