using System.Diagnostics;
using System.Net;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Tests.Fakes;
using Xunit.Abstractions;

namespace Deploycast.DistributionPoint.Tests;

public sealed class GroupAllocatorTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _locks = new();

    private static MulticastSettings Ranges(string start, string end, int firstPort, int lastPort) =>
        new() { AddressRangeStart = start, AddressRangeEnd = end, PortRangeStart = firstPort, PortRangeEnd = lastPort };

    public void Dispose() => _locks.Dispose();

    [Fact]
    public void TwoAllocators_SameLockDirectory_NeverHandOutTheSamePair()
    {
        var settings = Ranges("239.255.42.1", "239.255.42.3", 63000, 63002); // 9 pairs
        var a = new GroupAllocator(_locks.Path);
        var b = new GroupAllocator(_locks.Path);
        var leases = new List<GroupLease>();

        for (var i = 0; i < 9; i++)
        {
            var lease = (i % 2 == 0 ? a : b).TryAcquire(settings);
            Assert.NotNull(lease);
            leases.Add(lease);
        }

        Assert.Equal(9, leases.Select(l => l.Group).Distinct().Count());
        Assert.Null(a.TryAcquire(settings));
        Assert.Null(b.TryAcquire(settings));
        leases.ForEach(l => l.Dispose());
    }

    [Fact]
    public void TryAcquire_WhenEveryPairIsHeld_ReturnsNull()
    {
        var settings = Ranges("239.255.42.7", "239.255.42.7", 63500, 63500);
        var allocator = new GroupAllocator(_locks.Path);

        using var only = allocator.TryAcquire(settings);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("239.255.42.7"), 63500), only!.Group);
        Assert.Null(allocator.TryAcquire(settings));
    }

    [Fact]
    public void DisposingALease_FreesThePair()
    {
        var settings = Ranges("239.255.42.7", "239.255.42.7", 63500, 63500);
        var a = new GroupAllocator(_locks.Path);
        var b = new GroupAllocator(_locks.Path);
        var lease = a.TryAcquire(settings)!;
        Assert.Null(b.TryAcquire(settings));

        lease.Dispose();
        lease.Dispose(); // idempotent

        Assert.True(lease.IsReleased);
        using var again = b.TryAcquire(settings);
        Assert.Equal(lease.Group, again?.Group);
    }

    [Fact]
    public void TryAcquire_SpreadsSessionsOverAddressesBeforePorts()
    {
        var settings = Ranges("239.255.42.1", "239.255.42.3", 63000, 63001);
        var allocator = new GroupAllocator(_locks.Path);

        var groups = Enumerable.Range(0, 4).Select(_ => allocator.TryAcquire(settings)!.Group).ToList();

        Assert.Equal(["239.255.42.1:63000", "239.255.42.2:63000", "239.255.42.3:63000", "239.255.42.1:63001"], groups.Select(g => g.ToString()));
    }

    [Fact]
    public void TryAcquire_AfterARelease_MovesOnInsteadOfReusingTheGroupAtOnce()
    {
        var settings = Ranges("239.255.42.1", "239.255.42.3", 63000, 63000);
        var allocator = new GroupAllocator(_locks.Path);

        allocator.TryAcquire(settings)!.Dispose();
        using var next = allocator.TryAcquire(settings);

        Assert.Equal("239.255.42.2:63000", next!.Group.ToString());
    }

    [Fact]
    public void TryAcquire_SkipsAPairWhoseLockFileIsHeldElsewhere()
    {
        var settings = Ranges("239.255.42.1", "239.255.42.2", 63000, 63000);
        Directory.CreateDirectory(_locks.Path);

        // Another holder (as another process would) has the first pair's lock file open exclusively.
        using (new FileStream(Path.Combine(_locks.Path, "239.255.42.1-63000.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var allocator = new GroupAllocator(_locks.Path);
            using var lease = allocator.TryAcquire(settings);

            Assert.Equal("239.255.42.2:63000", lease!.Group.ToString());
            Assert.Null(allocator.TryAcquire(settings));
        }
    }

    [Fact]
    public void TryAcquire_TakesItsLockExclusively_SoEvenASharedHolderKeepsThePair()
    {
        var settings = Ranges("239.255.42.1", "239.255.42.1", 63000, 63000);
        Directory.CreateDirectory(_locks.Path);

        // A shared holder (a shared flock on Linux) must still stop us: only an exclusive lock keeps two
        // allocators in different processes from both taking the pair.
        using (new FileStream(Path.Combine(_locks.Path, "239.255.42.1-63000.lock"), FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite))
        {
            Assert.Null(new GroupAllocator(_locks.Path).TryAcquire(settings));
        }

        using var lease = new GroupAllocator(_locks.Path).TryAcquire(settings);
        Assert.NotNull(lease);
    }

    [Fact]
    public void TryAcquire_SkipsAPairLockedByAnotherProcess_AndTakesItWhenThatProcessDies()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/flock"))
        {
            output.WriteLine("SKIPPED: needs Linux and flock(1) to hold a lock from another process");
            return;
        }

        var settings = Ranges("239.255.42.9", "239.255.42.9", 63009, 63009);
        Directory.CreateDirectory(_locks.Path);
        var lockFile = Path.Combine(_locks.Path, "239.255.42.9-63009.lock");
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["-o", lockFile, "sleep", "60"]) { UseShellExecute = false })!;
        try
        {
            WaitUntilLocked(lockFile);
            var allocator = new GroupAllocator(_locks.Path);

            Assert.Null(allocator.TryAcquire(settings));

            // The kernel drops a flock when its holders die: a crashed distribution point strands no pairs.
            // (-o: the lock is flock's own, not inherited by sleep.) The process is gone once WaitForExit returns;
            // the retry only covers the kernel finishing its exit.
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
            GroupLease? lease = null;
            for (var attempt = 0; attempt < 100 && lease is null; attempt++)
            {
                lease = allocator.TryAcquire(settings);
                if (lease is null)
                {
                    Thread.Sleep(50);
                }
            }

            using (lease)
            {
                Assert.Equal("239.255.42.9:63009", lease?.Group.ToString());
            }
        }
        finally
        {
            if (!holder.HasExited)
            {
                holder.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public void TryAcquire_WithAnInvalidRange_ThrowsNamingIt()
    {
        var allocator = new GroupAllocator(_locks.Path);

        var e = Assert.Throws<MulticastSettingsException>(() => allocator.TryAcquire(Ranges("239.255.42.9", "239.255.42.1", 63000, 63000)));

        Assert.Equal("AddressRangeStart", Assert.Single(e.Errors).Setting);
    }

    [Fact]
    public void DefaultLockDirectory_IsInTheTemporaryDirectory()
    {
        var allocator = new GroupAllocator();

        Assert.Equal(Path.Combine(Path.GetTempPath(), "deploycast-multicast-locks"), allocator.LockDirectory);
    }

    private static void WaitUntilLocked(string path)
    {
        // flock(1) without -n waits for our probe to let go, so probing cannot make it give up.
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                if (File.Exists(path))
                {
                    using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
                }
            }
            catch (IOException)
            {
                return;
            }

            Thread.Sleep(20);
        }

        Assert.Fail("flock(1) did not take the lock within 20 s");
    }
}
