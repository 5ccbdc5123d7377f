using System.Net;

namespace Deploycast.Server.Console;

/// <summary>
/// Slows down guessing of the administrator token at the console's sign-in: after <see cref="MaxFailures"/> wrong
/// tokens from one address within <see cref="Window"/>, every sign-in from that address is refused (429 with
/// Retry-After) until the oldest of those failures is older than the window. The right token during that time is
/// refused too, or the refusal would tell a guesser which guess was right. A right token otherwise clears the count.
/// </summary>
/// <remarks>
/// The token has 256 bits of entropy, so this is not what keeps it secret; it keeps a scripted guesser from loading
/// the server and the logs. Addresses are kept in memory, at most <see cref="MaxAddresses"/> of them (the oldest
/// entries go first), so a flood from many addresses cannot grow it without bound.
/// </remarks>
internal sealed class SignInThrottle(TimeProvider time)
{
    /// <summary>Wrong tokens allowed from one address within <see cref="Window"/>: 5.</summary>
    public const int MaxFailures = 5;

    /// <summary>Addresses remembered at most: 10,000.</summary>
    public const int MaxAddresses = 10_000;

    /// <summary>The time over which wrong tokens are counted: 1 minute.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, Queue<DateTimeOffset>> _failures = [];

    /// <summary>How long <paramref name="address"/> must wait before it may try again; <see langword="null"/>: it may try now.</summary>
    public TimeSpan? RetryAfter(IPAddress? address)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_failures.TryGetValue(Key(address), out var failures))
            {
                return null;
            }

            Expire(failures, now);
            return failures.Count >= MaxFailures ? failures.Peek() + Window - now : null;
        }
    }

    /// <summary>Counts a wrong token from <paramref name="address"/>.</summary>
    public void Failed(IPAddress? address)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var key = Key(address);
            if (!_failures.TryGetValue(key, out var failures))
            {
                if (_failures.Count >= MaxAddresses)
                {
                    Purge(now);
                }

                failures = new Queue<DateTimeOffset>();
                _failures[key] = failures;
            }

            Expire(failures, now);
            failures.Enqueue(now);
            while (failures.Count > MaxFailures)
            {
                failures.Dequeue();
            }
        }
    }

    /// <summary>A right token: the address starts afresh.</summary>
    public void Succeeded(IPAddress? address)
    {
        lock (_lock)
        {
            _failures.Remove(Key(address));
        }
    }

    private static IPAddress Key(IPAddress? address) =>
        address is null ? IPAddress.None : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static void Expire(Queue<DateTimeOffset> failures, DateTimeOffset now)
    {
        while (failures.Count > 0 && now - failures.Peek() >= Window)
        {
            failures.Dequeue();
        }
    }

    private void Purge(DateTimeOffset now)
    {
        foreach (var (address, failures) in _failures.ToList())
        {
            Expire(failures, now);
            if (failures.Count == 0)
            {
                _failures.Remove(address);
            }
        }

        // Still full: forget the addresses whose latest failure is oldest.
        var excess = _failures.Count - (MaxAddresses * 3 / 4);
        if (excess > 0)
        {
            foreach (var address in _failures.OrderBy(e => e.Value.Last()).Take(excess).Select(e => e.Key).ToList())
            {
                _failures.Remove(address);
            }
        }
    }
}
