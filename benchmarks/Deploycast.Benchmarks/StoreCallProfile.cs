using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Deploycast.Site.Storage;

namespace Deploycast.Benchmarks;

/// <summary>
/// Counts and times every <see cref="ISiteStore"/> call made through it (a <see cref="DispatchProxy"/> in front of the
/// real store), so a benchmark can say which store calls a site operation makes and where its time goes. A call's time
/// runs from the call to its task's completion, so it is meaningful when calls are made one at a time. Costs a
/// reflection call (about a microsecond) per store call: the headline figures are taken without it.
/// </summary>
internal sealed class StoreCallProfile
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public static (ISiteStore Store, StoreCallProfile Profile) Wrap(ISiteStore store)
    {
        var profile = new StoreCallProfile();
        var proxy = DispatchProxy.Create<ISiteStore, ProfilingProxy>();
        ((ProfilingProxy)(object)proxy).Attach(store, profile);
        return (proxy, profile);
    }

    /// <summary>Calls and total time per store method since the last <see cref="Reset"/>, most time first.</summary>
    public IReadOnlyList<(string Method, long Calls, TimeSpan Time)> Snapshot() =>
        _entries.Select(e => (e.Key, Interlocked.Read(ref e.Value.Calls), TimeSpan.FromTicks(Interlocked.Read(ref e.Value.Ticks))))
            .Where(e => e.Item2 > 0)
            .OrderByDescending(e => e.Item3)
            .ToList();

    public void Reset() => _entries.Clear();

    private void Record(string method, TimeSpan elapsed)
    {
        var entry = _entries.GetOrAdd(method, _ => new Entry());
        Interlocked.Increment(ref entry.Calls);
        Interlocked.Add(ref entry.Ticks, elapsed.Ticks);
    }

    private sealed class Entry
    {
        public long Calls;
        public long Ticks;
    }

    /// <summary>The proxy type; public with a public constructor because <see cref="DispatchProxy"/> requires it.</summary>
    public class ProfilingProxy : DispatchProxy
    {
        private ISiteStore? _inner;
        private StoreCallProfile? _profile;

        internal void Attach(ISiteStore inner, StoreCallProfile profile) => (_inner, _profile) = (inner, profile);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            var name = targetMethod.Name.EndsWith("Async", StringComparison.Ordinal) ? targetMethod.Name[..^5] : targetMethod.Name;
            var started = Stopwatch.GetTimestamp();
            object? result;
            try
            {
                result = targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }

            if (result is Task task)
            {
                var profile = _profile!;
                task.ContinueWith(_ => profile.Record(name, Stopwatch.GetElapsedTime(started)), CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            return result;
        }
    }
}
