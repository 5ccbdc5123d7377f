using System.Globalization;
using System.Net;
using Deploycast.DistributionPoint.Settings;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>
/// Hands out (group address, port) pairs from a distribution point's ranges so that no two sessions share one, in
/// this process and between processes on this host (two distribution points on one machine).
/// </summary>
/// <remarks>
/// A pair is taken by holding <c>&lt;lockDirectory&gt;/&lt;group&gt;-&lt;port&gt;.lock</c> open with
/// <see cref="FileShare.None"/>: Windows enforces the share mode, and .NET on Linux and macOS backs it with an
/// exclusive advisory <c>flock</c>, which the kernel releases when the holder dies, so a crashed distribution point
/// never strands its pairs. A process-wide set of held paths guards the same pairs inside one process too, where
/// file locking may be turned off (DOTNET_SYSTEM_IO_DISABLEFILELOCKING).
/// <para>
/// The search tries the next address first and only then the next port, so concurrent sessions get different group
/// addresses (switches with IGMP snooping then keep their traffic apart), and it starts after the address handed out
/// last, so a group that just ended is not reused at once. It looks only at pairs that are taken or free, so it stops
/// after (pairs held) + 1 attempts, however large the ranges.
/// </para>
/// <para>
/// Lock files are never deleted: deleting one races with a process that opened it just before, which would then
/// lock the deleted file while a third process creates and locks a new one under the same name. Because addresses
/// come first, the files number about the addresses in the range plus the sessions that ever ran at once.
/// </para>
/// </remarks>
public sealed class GroupAllocator
{
    private static readonly HashSet<string> HeldInProcess = new(StringComparer.Ordinal);

    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private uint _nextAddressOffset;

    /// <summary>Creates an allocator.</summary>
    /// <param name="lockDirectory">
    /// Where the lock files live. Default <see cref="DefaultLockDirectory"/>; every distribution point on the host
    /// must use the same directory.
    /// </param>
    /// <param name="logger">Logger; default none.</param>
    public GroupAllocator(string? lockDirectory = null, ILogger<GroupAllocator>? logger = null)
    {
        LockDirectory = Path.GetFullPath(lockDirectory ?? DefaultLockDirectory);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The default lock directory: <c>deploycast-multicast-locks</c> in the temporary directory.</summary>
    public static string DefaultLockDirectory => Path.Combine(Path.GetTempPath(), "deploycast-multicast-locks");

    /// <summary>The directory holding the lock files.</summary>
    public string LockDirectory { get; }

    /// <summary>
    /// Takes a free (group, port) pair from the ranges of <paramref name="settings"/>, or returns <see langword="null"/>
    /// when every pair is held. Dispose the lease to free the pair.
    /// </summary>
    /// <exception cref="MulticastSettingsException">The address or port range is invalid.</exception>
    public GroupLease? TryAcquire(MulticastSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var errors = settings.Validate().Where(e => e.Setting.StartsWith("AddressRange", StringComparison.Ordinal) || e.Setting.StartsWith("PortRange", StringComparison.Ordinal)).ToList();
        if (errors.Count > 0)
        {
            throw new MulticastSettingsException(errors);
        }

        var firstAddress = settings.AddressStart;
        var addresses = (ulong)(settings.AddressEnd - firstAddress) + 1;
        var ports = settings.PortRangeEnd - settings.PortRangeStart + 1;

        lock (_lock)
        {
            Directory.CreateDirectory(LockDirectory);
            var startOffset = _nextAddressOffset % addresses;
            for (var portOffset = 0; portOffset < ports; portOffset++)
            {
                for (ulong i = 0; i < addresses; i++)
                {
                    var addressOffset = (startOffset + i) % addresses;
                    var address = firstAddress + (uint)addressOffset;
                    var port = settings.PortRangeStart + portOffset;
                    var lease = TryTake(address, port);
                    if (lease is not null)
                    {
                        _nextAddressOffset = (uint)((addressOffset + 1) % addresses);
                        return lease;
                    }
                }
            }
        }

        AllocatorLog.Exhausted(_logger, settings.RangesText, LockDirectory);
        return null;
    }

    private GroupLease? TryTake(uint address, int port)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{Ipv4.Format(address)}-{port}.lock");
        var path = Path.Combine(LockDirectory, name);
        lock (HeldInProcess)
        {
            if (!HeldInProcess.Add(path))
            {
                return null;
            }
        }

        try
        {
            // Read access is enough to lock, and lets a distribution point running as another account open a lock
            // file that this account did not create.
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.None, 1, FileOptions.None);
            return new GroupLease(new IPEndPoint(Ipv4.ToAddress(address), port), file, path, Release);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Held by another process (a sharing violation), or a file we may not open: either way not ours to use.
            AllocatorLog.PairUnavailable(_logger, name, e.Message);
            Release(path);
            return null;
        }
    }

    private static void Release(string path)
    {
        lock (HeldInProcess)
        {
            HeldInProcess.Remove(path);
        }
    }
}

internal static partial class AllocatorLog
{
    [LoggerMessage(EventId = 3050, Level = LogLevel.Debug, Message = "Group/port pair {LockFile} is not available: {Reason}")]
    public static partial void PairUnavailable(ILogger logger, string lockFile, string reason);

    [LoggerMessage(EventId = 3051, Level = LogLevel.Warning, Message = "Every group/port pair is in use ({Ranges}; lock files in {LockDirectory})")]
    public static partial void Exhausted(ILogger logger, string ranges, string lockDirectory);
}
