using System.Globalization;
using System.Net;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Client;

/// <summary>
/// A package version's content read straight from a distribution point by HTTP range requests, forward only, for the
/// deployment option "access content directly": nothing is staged on disk. Every block is checked against the
/// site-signed manifest's SHA-256 before any byte of it is handed out; all-zero blocks (marked in the manifest) are
/// produced without being fetched. Ranges of <see cref="ContentStreamOptions.BlocksPerRange"/> blocks are fetched one
/// range ahead of the reader, so the network and the consumer's disk work at the same time.
/// </summary>
/// <remarks>
/// A range that fails is fetched again (<see cref="ContentStreamOptions.RangeRetries"/>); after that, reading throws
/// <see cref="InvalidDataException"/> naming the block and the distribution point. A refusal (401, 403 for a
/// multicast-only package, 404, 409 for content the DP knows is corrupt) is not retried: it throws
/// <see cref="DistributionPointException"/> with the DP's reason. Every byte returned before a failure was verified.
/// Synchronous reads block only when the next range has not arrived yet.
/// </remarks>
public sealed class PackageContentStream : Stream
{
    private readonly DistributionPointClient _client;
    private readonly bool _leaveClientOpen;
    private readonly TransferManifest _manifest;
    private readonly ContentStreamOptions _options;
    private readonly string _contentUrl;
    private readonly string _what;
    private readonly CancellationTokenSource _lifetime;
    private readonly byte[]?[] _buffers = new byte[2][];

    private int _nextBlock;
    private byte[]? _current;
    private long _currentLength;
    private long _currentOffset;
    private Task<byte[]>? _ahead;
    private int _aheadFirst = -1;
    private long _position;
    private long _bytesFetched;
    private int _retries;
    private bool _disposed;

    private PackageContentStream(DistributionPointClient client, bool leaveClientOpen, string packageId, int version, TransferManifest manifest,
        ContentStreamOptions options, CancellationToken cancellationToken)
    {
        _client = client;
        _leaveClientOpen = leaveClientOpen;
        _manifest = manifest;
        _options = options;
        _contentUrl = DistributionPointContent.ContentUrl(packageId, version);
        _what = string.Create(CultureInfo.InvariantCulture, $"{packageId} v{version}");
        Source = options.Source ?? client.Server.ToString();
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Length of the content in bytes.</summary>
    public long ContentLength => _manifest.FileSize;

    /// <summary>The whole-file SHA-256 (lowercase hex) in the signed manifest: the content id.</summary>
    public string ContentId => Convert.ToHexStringLower(_manifest.FileHash);

    /// <summary>The distribution point, as messages name it (<see cref="ContentStreamOptions.Source"/>).</summary>
    public string Source { get; }

    /// <summary>Bytes fetched by HTTP and verified so far (all-zero blocks are not fetched), including ranges read ahead.</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    /// <summary>How many times a range was fetched again after a failure.</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <summary>Not supported: the stream is forward only; see <see cref="ContentLength"/>.</summary>
    public override long Length => throw new NotSupportedException("The content stream cannot seek; its length is ContentLength.");

    /// <summary>Bytes handed out so far. Setting it is not supported.</summary>
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("The content stream is forward only.");
    }

    /// <summary>
    /// Fetches and checks the manifest of <paramref name="packageId"/> version <paramref name="version"/> (signed by the
    /// site key, <see cref="ContentStreamOptions.SiteKeyFingerprint"/>), then fetches the first range, so that a
    /// distribution point that refuses the content (a multicast-only package: 403; corrupt content: 409) or cannot
    /// serve it fails here, before the caller writes anything.
    /// </summary>
    /// <param name="client">The distribution point.</param>
    /// <param name="packageId">The package.</param>
    /// <param name="version">Its version.</param>
    /// <param name="options">Retries and ranges; <see cref="ContentStreamOptions.Default"/> when null.</param>
    /// <param name="leaveClientOpen">False to dispose <paramref name="client"/> with the stream (also when opening fails).</param>
    /// <param name="cancellationToken">Stops the stream for its whole life, including synchronous reads and the range read ahead.</param>
    public static async Task<PackageContentStream> OpenAsync(DistributionPointClient client, string packageId, int version, ContentStreamOptions? options,
        bool leaveClientOpen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(packageId);
        options ??= ContentStreamOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlocksPerRange, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.RangeRetries, nameof(options));
        PackageContentStream? stream = null;
        try
        {
            var (manifest, _) = await DistributionPointContent.FetchManifestAsync(client, packageId, version, options.SiteKeyFingerprint, cancellationToken).ConfigureAwait(false);
            stream = new PackageContentStream(client, leaveClientOpen, packageId, version, manifest, options, cancellationToken);
            stream.StartAhead(0);
            if (stream._ahead is { } first)
            {
                await first.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            return stream;
        }
        catch
        {
            if (stream is not null)
            {
                stream.Dispose();
            }
            else if (!leaveClientOpen)
            {
                client.Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_currentOffset == _currentLength)
        {
            // Blocks only when the range read ahead has not arrived yet.
            if (!MoveNextAsync(_lifetime.Token).AsTask().GetAwaiter().GetResult())
            {
                return 0;
            }
        }

        return CopyOut(buffer);
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_currentOffset == _currentLength)
        {
            if (!await MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
        }

        return CopyOut(buffer.Span);
    }

    /// <summary>Does nothing: a read-only stream has nothing to flush.</summary>
    public override void Flush()
    {
    }

    /// <summary>Not supported: the stream is forward only.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("The content stream is forward only.");

    /// <summary>Not supported: the stream is read only.</summary>
    public override void SetLength(long value) => throw new NotSupportedException("The content stream is read only.");

    /// <summary>Not supported: the stream is read only.</summary>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The content stream is read only.");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _lifetime.Cancel();
            var ahead = _ahead;
            _ahead = null;
            if (ahead is null || ahead.IsCompleted)
            {
                _ = ahead?.Exception;
                Release();
            }
            else
            {
                // The range read ahead still holds the client and the token: let it end (it is canceled) first.
                ahead.ContinueWith(static (t, state) =>
                {
                    _ = t.Exception;
                    ((PackageContentStream)state!).Release();
                }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        base.Dispose(disposing);
    }

    private void Release()
    {
        _lifetime.Dispose();
        if (!_leaveClientOpen)
        {
            _client.Dispose();
        }
    }

    private int CopyOut(Span<byte> destination)
    {
        var count = (int)Math.Min(destination.Length, _currentLength - _currentOffset);
        if (_current is null)
        {
            destination[..count].Clear();
        }
        else
        {
            _current.AsSpan((int)_currentOffset, count).CopyTo(destination);
        }

        _currentOffset += count;
        _position += count;
        return count;
    }

    /// <summary>
    /// Makes the next run of blocks current: a run of all-zero blocks at once, or the next range once it has arrived
    /// and every block of it is verified; then starts fetching the range after it. False at the end of the content.
    /// </summary>
    private async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        if (_nextBlock >= _manifest.BlockCount)
        {
            return false;
        }

        var (first, end, zero) = Run(_nextBlock);
        byte[]? data = null;
        if (!zero)
        {
            if (_ahead is null || _aheadFirst != first)
            {
                _ahead = FetchVerifiedAsync(first, end, FreeBuffer(), _lifetime.Token);
                _aheadFirst = first;
            }

            // A failure stays in the task: every later read throws it again.
            data = await _ahead.WaitAsync(cancellationToken).ConfigureAwait(false);
            _ahead = null;
            _aheadFirst = -1;
        }

        _current = data;
        _currentOffset = 0;
        _currentLength = Math.Min(_manifest.FileSize, (long)end * _manifest.BlockSize) - ((long)first * _manifest.BlockSize);
        _nextBlock = end;
        StartAhead(end);
        return true;
    }

    /// <summary>Starts fetching the first range at or after <paramref name="block"/>, unless one is under way.</summary>
    private void StartAhead(int block)
    {
        while (block < _manifest.BlockCount && _manifest.IsZeroBlock(block))
        {
            block++;
        }

        if (_ahead is not null || block >= _manifest.BlockCount)
        {
            return;
        }

        var (_, end, _) = Run(block);
        _ahead = FetchVerifiedAsync(block, end, FreeBuffer(), _lifetime.Token);
        _aheadFirst = block;
    }

    /// <summary>The run that starts at <paramref name="first"/>: all-zero blocks up to the next other block, or up to
    /// <see cref="ContentStreamOptions.BlocksPerRange"/> blocks to fetch; <c>end</c> is exclusive.</summary>
    private (int First, int End, bool Zero) Run(int first)
    {
        var zero = _manifest.IsZeroBlock(first);
        var end = first + 1;
        while (end < _manifest.BlockCount && _manifest.IsZeroBlock(end) == zero && (zero || end - first < _options.BlocksPerRange))
        {
            end++;
        }

        return (first, end, zero);
    }

    /// <summary>The buffer the reader is not reading from (two in all: the one read, and the one being fetched).</summary>
    private byte[] FreeBuffer()
    {
        var index = ReferenceEquals(_current, _buffers[0]) ? 1 : 0;
        return _buffers[index] ??= GC.AllocateUninitializedArray<byte>((int)Math.Min((long)_manifest.BlockSize * _options.BlocksPerRange, Math.Max(_manifest.FileSize, 1)));
    }

    /// <summary>
    /// Fetches blocks <paramref name="first"/> to <paramref name="end"/> (exclusive) into <paramref name="buffer"/> and
    /// checks each against the manifest; a failed attempt is repeated up to <see cref="ContentStreamOptions.RangeRetries"/> times.
    /// </summary>
    private async Task<byte[]> FetchVerifiedAsync(int first, int end, byte[] buffer, CancellationToken cancellationToken)
    {
        var from = (long)first * _manifest.BlockSize;
        var to = Math.Min(_manifest.FileSize, (long)end * _manifest.BlockSize) - 1;
        var length = (int)(to - from + 1);
        var blocks = end - first == 1
            ? string.Create(CultureInfo.InvariantCulture, $"block {first}")
            : string.Create(CultureInfo.InvariantCulture, $"blocks {first}-{end - 1}");
        string failure = string.Empty;
        Exception? lastError = null;
        var badBlock = -1;
        for (var attempt = 0; attempt <= _options.RangeRetries; attempt++)
        {
            if (attempt > 0)
            {
                Interlocked.Increment(ref _retries);
                await Task.Delay(_options.RetryDelay * attempt, _options.Time, cancellationToken).ConfigureAwait(false);
            }

            using var timeout = new CancellationTokenSource(_options.RangeTimeout, _options.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await DistributionPointContent.FetchRangeAsync(_client, _contentUrl, _manifest.FileSize, from, to, buffer.AsMemory(0, length), linked.Token).ConfigureAwait(false);
                badBlock = FirstBadBlock(first, end, buffer);
                if (badBlock < 0)
                {
                    Interlocked.Add(ref _bytesFetched, length);
                    return buffer;
                }

                failure = "it does not match the signed manifest";
                lastError = null;
            }
            catch (DistributionPointException e) when (IsRefusal(e.Status))
            {
                throw new DistributionPointException(e.Status, $"{Source} refused {blocks} of {_what}: {e.Message}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                badBlock = -1;
                failure = string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.RangeTimeout.TotalSeconds:0} s");
                lastError = null;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or DistributionPointException)
            {
                badBlock = -1;
                failure = e.Message;
                lastError = e;
            }
        }

        var tries = _options.RangeRetries + 1;
        throw badBlock >= 0
            ? new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"block {badBlock} of {_what} from {Source} does not match the signed manifest ({tries} attempt(s)); the distribution point's content may be corrupt. Nothing of the block was handed on."))
            : new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{blocks} of {_what} could not be fetched from {Source} ({tries} attempt(s)): {failure}"), lastError);
    }

    private int FirstBadBlock(int first, int end, byte[] buffer)
    {
        for (var block = first; block < end; block++)
        {
            var offset = (int)(((long)block - first) * _manifest.BlockSize);
            if (!_manifest.VerifyBlock(block, buffer.AsSpan(offset, _manifest.BlockLength(block))))
            {
                return block;
            }
        }

        return -1;
    }

    /// <summary>An answer that says no (asking again gives the same): the certificate, or a 4xx other than a timeout or throttling.</summary>
    private static bool IsRefusal(HttpStatusCode status) =>
        status == 0 || ((int)status is >= 400 and < 500 && status is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests);
}
