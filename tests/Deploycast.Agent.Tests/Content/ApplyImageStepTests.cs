using Deploycast.Agent.Content;
using Deploycast.Agent.Engine;
using Deploycast.Agent.Logging;
using Deploycast.Agent.Steps;
using Deploycast.Site.Model;
using static Deploycast.Agent.Tests.Content.ContentTestData;

namespace Deploycast.Agent.Tests.Content;

public sealed class ApplyImageStepTests
{
    [Theory]
    [InlineData(StepType.ApplyOperatingSystemImage, true)]
    [InlineData(StepType.ApplyDataImage, true)]
    [InlineData(StepType.RunCommandLine, false)]
    public void RunsTheTwoApplySteps(StepType type, bool runs) => Assert.Equal(runs, new ApplyImageStep(new FakeContent(null)).CanRun(type));

    [Fact]
    public async Task PackageNotInPolicy_FailsNamingIt_WithoutDownloading()
    {
        using var folder = new TempFolder();
        var source = new FakeContent(null);
        using var log = new AgentLog(folder.Path);
        var result = await new ApplyImageStep(source).RunAsync(Context(folder, log, Deployment(ContentOption.DownloadLocallyWhenNeeded, Package()),
            new() { ["package"] = "DC100099", ["destination"] = folder.File("out.img") }), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.StartsWith("Package DC100099 is not in the policy of deployment DC400001", result.Message, StringComparison.Ordinal);
        Assert.Equal(0, source.Calls);
        Assert.Contains("DC100099 is not in the policy", await File.ReadAllTextAsync(log.FilePath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DestinationDirectoryMissing_FailsBeforeTheDownload()
    {
        using var folder = new TempFolder();
        var source = new FakeContent(null);
        using var log = new AgentLog(folder.Path);
        var missing = Path.Combine(folder.Path, "no-such-dir", "out.img");
        var result = await new ApplyImageStep(source).RunAsync(Context(folder, log, Deployment(ContentOption.DownloadLocallyWhenNeeded, Package()),
            new() { ["package"] = "DC100001", ["destination"] = missing }), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal($"The destination {missing} cannot be written: its directory {Path.Combine(folder.Path, "no-such-dir")} does not exist.", result.Message);
        Assert.Equal(0, source.Calls);
    }

    [Fact]
    public async Task ContentUnavailable_FailsWithTheReason()
    {
        using var folder = new TempFolder();
        using var log = new AgentLog(folder.Path);
        var source = new FakeContent(null, new ContentUnavailableException("Package DC100001 is set to transfer only via multicast ..."));
        var result = await new ApplyImageStep(source).RunAsync(Context(folder, log, Deployment(ContentOption.DownloadLocallyWhenNeeded, Package()),
            new() { ["package"] = "DC100001", ["destination"] = folder.File("out.img") }), CancellationToken.None);
        Assert.False(result.Succeeded);
        Assert.Equal("Package DC100001 is set to transfer only via multicast ...", result.Message);
    }

    [Fact]
    public async Task RawImage_IsWrittenToTheFile_Sparse_WithDownloadThenApplyProgress()
    {
        using var folder = new TempFolder();
        using var log = new AgentLog(folder.Path);
        var image = new byte[8 << 20];
        new Random(6).NextBytes(image.AsSpan(0, 1 << 20));
        new Random(7).NextBytes(image.AsSpan(7 << 20));
        var downloaded = folder.File("downloaded.img");
        await File.WriteAllBytesAsync(downloaded, image);
        var progress = new ProgressLog<StepProgress>();
        var target = folder.File("disk.img");

        var result = await new ApplyImageStep(new FakeContent(downloaded)).RunAsync(Context(folder, log, Deployment(ContentOption.DownloadLocallyWhenNeeded, PackageOf(image)),
            new() { ["package"] = "dc100001", ["destination"] = target }, progress), CancellationToken.None);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(image, await File.ReadAllBytesAsync(target));
        Assert.Contains(progress.Reports, p => p.Percent == 35 && p.Text == "fake download");
        Assert.Contains(progress.Reports, p => p.Percent == ApplyImageStep.DownloadPercent);
        Assert.Equal(100, progress.Reports[^1].Percent);
        Assert.Equal(progress.Reports.Select(p => p.Percent).Order(), progress.Reports.Select(p => p.Percent));
    }

    [Fact]
    public async Task OtherFile_IsPlacedAtTheDestination()
    {
        using var folder = new TempFolder();
        using var log = new AgentLog(folder.Path);
        var downloaded = folder.File("downloaded.bin");
        await File.WriteAllTextAsync(downloaded, "unattend");
        var target = folder.File("unattend.xml");
        var content = Package(type: ImageType.File);

        var result = await new ApplyImageStep(new FakeContent(downloaded)).RunAsync(Context(folder, log, Deployment(ContentOption.DownloadLocallyWhenNeeded, content),
            new() { ["package"] = "DC100001", ["destination"] = target }), CancellationToken.None);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("unattend", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task WimPackageWhoseFileIsNoWim_FailsWithTheImagingMessage()
    {
        using var folder = new TempFolder();
        using var log = new AgentLog(folder.Path);
        var downloaded = folder.File("downloaded.wim");
        await File.WriteAllTextAsync(downloaded, "not a wim at all, just text");
        var content = Package(type: ImageType.Wim);

        var result = await new ApplyImageStep(new FakeContent(downloaded)).RunAsync(Context(folder, log, Deployment(ContentOption.DownloadLocallyWhenNeeded, content),
            new() { ["package"] = "DC100001", ["imageIndex"] = "1", ["destination"] = folder.File("target") }), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains(downloaded, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessDirectly_RawImage_IsStreamedIntoTheDestination_NotDownloaded_InOneProgressPhase()
    {
        using var folder = new TempFolder();
        using var log = new AgentLog(folder.Path);
        var image = new byte[9 << 20];
        new Random(8).NextBytes(image.AsSpan(0, 3 << 20));
        new Random(9).NextBytes(image.AsSpan(6 << 20));
        var source = new FakeContent(null, stream: () => new MemoryStream(image));
        var progress = new ProgressLog<StepProgress>();
        var target = folder.File("disk.img");

        var result = await new ApplyImageStep(source).RunAsync(Context(folder, log, Deployment(ContentOption.AccessDirectly, PackageOf(image)),
            new() { ["package"] = "DC100001", ["destination"] = target }, progress), CancellationToken.None);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(image, await File.ReadAllBytesAsync(target));
        Assert.Equal((0, 1), (source.Calls, source.StreamCalls));
        Assert.Equal(new StepProgress(0, $"Streaming DC100001 to {target}: 0%"), progress.Reports[0]);
        Assert.Contains(progress.Reports, p => p.Percent is > 0 and < 100 && p.Text.StartsWith($"Streaming DC100001 to {target}: ", StringComparison.Ordinal));
        Assert.Equal(100, progress.Reports[^1].Percent);
        Assert.Equal(progress.Reports.Select(p => p.Percent).Order(), progress.Reports.Select(p => p.Percent));
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "content")));
    }

    [Fact]
    public async Task AccessDirectly_RawImage_SourceFailsMidStream_FailsNamingTheBlock_AndKeepsOnlyWhatCameBefore()
    {
        using var folder = new TempFolder();
        using var log = new AgentLog(folder.Path);
        var image = new byte[12 << 20];
        new Random(10).NextBytes(image);
        const string Why = "block 33 of DC100001 v1 from distribution point dp01 (https://dp01:8443/) does not match the signed manifest (4 attempt(s)); the distribution point's content may be corrupt.";
        var source = new FakeContent(null, stream: () => new FailingStream(image, 6 << 20, new InvalidDataException(Why)));
        var target = folder.File("disk.img");

        var result = await new ApplyImageStep(source).RunAsync(Context(folder, log, Deployment(ContentOption.AccessDirectly, PackageOf(image)),
            new() { ["package"] = "DC100001", ["destination"] = target }), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.StartsWith("Streaming DC100001 ('Lab image') to " + target + " failed: block 33 of DC100001 v1 from distribution point dp01", result.Message, StringComparison.Ordinal);
        Assert.Contains($"{target} is partly written, with verified blocks only", result.Message, StringComparison.Ordinal);
        Assert.Contains("when the step runs again, it streams the content again from the start", result.Message, StringComparison.Ordinal);
        var written = await File.ReadAllBytesAsync(target);
        Assert.InRange(written.Length, 1, 6 << 20);
        Assert.Equal(image.AsSpan(0, written.Length).ToArray(), written);
    }

    [Fact]
    public async Task AccessDirectly_File_SourceFailsMidStream_LeavesTheOldFile()
    {
        using var folder = new TempFolder();
        using var log = new AgentLog(folder.Path);
        var bytes = new byte[3 << 20];
        new Random(11).NextBytes(bytes);
        var source = new FakeContent(null, stream: () => new FailingStream(bytes, 2 << 20, new InvalidDataException("block 12 of DC100001 v1 from distribution point dp01 does not match the signed manifest.")));
        var folderOfTarget = Path.Combine(folder.Path, "place");
        Directory.CreateDirectory(folderOfTarget);
        var target = Path.Combine(folderOfTarget, "unattend.xml");
        await File.WriteAllTextAsync(target, "old");

        var result = await new ApplyImageStep(source).RunAsync(Context(folder, log, Deployment(ContentOption.AccessDirectly, PackageOf(bytes, ImageType.File)),
            new() { ["package"] = "DC100001", ["destination"] = target }), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("block 12 of DC100001 v1", result.Message, StringComparison.Ordinal);
        Assert.Contains($"{target} is unchanged", result.Message, StringComparison.Ordinal);
        Assert.Equal("old", await File.ReadAllTextAsync(target));
        Assert.Equal(["unattend.xml"], Directory.GetFiles(folderOfTarget).Select(Path.GetFileName));
    }

    [Fact]
    public async Task AccessDirectly_Wim_IsDownloadedFirst_NotStreamed_AndTheLogSaysWhy()
    {
        using var folder = new TempFolder();
        using var log = new AgentLog(folder.Path);
        var downloaded = folder.File("downloaded.wim");
        await File.WriteAllTextAsync(downloaded, "not a wim at all, just text");
        var source = new FakeContent(downloaded, stream: () => throw new InvalidOperationException("a WIM must not be streamed"));

        var result = await new ApplyImageStep(source).RunAsync(Context(folder, log, Deployment(ContentOption.AccessDirectly, Package(type: ImageType.Wim)),
            new() { ["package"] = "DC100001", ["imageIndex"] = "1", ["destination"] = folder.File("target") }), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains(downloaded, result.Message, StringComparison.Ordinal);
        Assert.Equal((1, 0), (source.Calls, source.StreamCalls));
        Assert.Contains("not streamed, because wimlib needs random access to the image file", await File.ReadAllTextAsync(log.FilePath), StringComparison.Ordinal);
    }

    private static StepContext Context(TempFolder folder, AgentLog log, PolicyDeployment deployment, Dictionary<string, string> parameters, IProgress<StepProgress>? progress = null) => new()
    {
        Deployment = deployment,
        Index = 0,
        Step = new TaskSequenceStep("Apply", StepType.ApplyOperatingSystemImage, parameters),
        Parameters = parameters,
        Variables = new Dictionary<string, string>(),
        WorkDirectory = folder.Path,
        Options = Options(folder.Path),
        Log = log,
        Progress = progress ?? new ProgressLog<StepProgress>(),
    };

    /// <summary>Hands out a file as if downloaded, reporting 50% of the download once, or a stream as if from a DP.</summary>
    private sealed class FakeContent(string? path, Exception? error = null, Func<Stream>? stream = null) : IContentSource
    {
        public int Calls { get; private set; }

        public int StreamCalls { get; private set; }

        public Task<string> AcquireAsync(PolicyDeployment deployment, PolicyContent content, string workDirectory, IProgress<StepProgress>? progress, CancellationToken cancellationToken)
        {
            Calls++;
            if (error is not null)
            {
                throw error;
            }

            progress?.Report(new StepProgress(50, "fake download"));
            return Task.FromResult(path!);
        }

        public Task<Stream> OpenStreamAsync(PolicyDeployment deployment, PolicyContent content, CancellationToken cancellationToken)
        {
            StreamCalls++;
            return Task.FromResult((stream ?? throw new InvalidOperationException("this fake serves downloaded files only"))());
        }
    }

    /// <summary>Hands out the first <c>failAt</c> bytes of <c>bytes</c>, then throws, as a content stream whose next block fails its check.</summary>
    private sealed class FailingStream(byte[] bytes, int failAt, Exception failure) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAt)
            {
                throw failure;
            }

            var n = Math.Min(count, failAt - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
