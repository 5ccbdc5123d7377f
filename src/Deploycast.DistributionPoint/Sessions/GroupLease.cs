using System.Net;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>A (group address, port) pair held for one session; dispose it to free the pair.</summary>
public sealed class GroupLease : IDisposable
{
    private readonly string _path;
    private readonly Action<string> _release;
    private FileStream? _file;

    internal GroupLease(IPEndPoint group, FileStream file, string path, Action<string> release)
    {
        Group = group;
        _file = file;
        _path = path;
        _release = release;
    }

    /// <summary>The group address and UDP port.</summary>
    public IPEndPoint Group { get; }

    /// <summary>Whether the pair has been freed.</summary>
    public bool IsReleased => Volatile.Read(ref _file) is null;

    /// <inheritdoc/>
    public override string ToString() => Group.ToString();

    /// <summary>Frees the pair; idempotent.</summary>
    public void Dispose()
    {
        var file = Interlocked.Exchange(ref _file, null);
        if (file is null)
        {
            return;
        }

        // Close before forgetting the path, so an allocator in this process that sees the path free also finds the
        // file unlocked.
        file.Dispose();
        _release(_path);
    }
}
