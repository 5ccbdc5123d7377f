using System.Net;
using Deploycast.Server.Console;

namespace Deploycast.Console.Tests;

public sealed class SignInThrottleTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("198.18.0.7");

    [Fact]
    public void FiveWrongTokens_RefuseTheAddressUntilTheOldestIsAMinuteOld_OthersStillTry()
    {
        var clock = new ManualClock();
        var throttle = new SignInThrottle(clock);
        for (var i = 0; i < SignInThrottle.MaxFailures; i++)
        {
            Assert.Null(throttle.RetryAfter(Guesser));
            throttle.Failed(Guesser);
            clock.Now += TimeSpan.FromSeconds(10);
        }

        // The first failure was 50 s ago: 10 s to wait, from the same address however it is written.
        Assert.Equal(TimeSpan.FromSeconds(10), throttle.RetryAfter(Guesser));
        Assert.Equal(TimeSpan.FromSeconds(10), throttle.RetryAfter(Guesser.MapToIPv6()));
        Assert.Null(throttle.RetryAfter(IPAddress.Parse("198.18.0.8")));

        clock.Now += TimeSpan.FromSeconds(10);
        Assert.Null(throttle.RetryAfter(Guesser));

        // One more wrong token makes five within the minute again.
        throttle.Failed(Guesser);
        Assert.Equal(TimeSpan.FromSeconds(10), throttle.RetryAfter(Guesser));
    }

    [Fact]
    public void RightToken_ClearsTheCount()
    {
        var clock = new ManualClock();
        var throttle = new SignInThrottle(clock);
        for (var i = 0; i < SignInThrottle.MaxFailures - 1; i++)
        {
            throttle.Failed(Guesser);
        }

        throttle.Succeeded(Guesser);
        throttle.Failed(Guesser);
        Assert.Null(throttle.RetryAfter(Guesser));
    }

    [Fact]
    public void ManyAddresses_AreForgottenOldestFirst_SoMemoryStaysBounded()
    {
        var clock = new ManualClock();
        var throttle = new SignInThrottle(clock);
        for (var i = 0; i < SignInThrottle.MaxFailures; i++)
        {
            throttle.Failed(Guesser);
        }

        for (var i = 0; i < SignInThrottle.MaxAddresses; i++)
        {
            clock.Now += TimeSpan.FromMilliseconds(1);
            throttle.Failed(new IPAddress(0x0A000000u + (uint)i));
        }

        // The guesser was the oldest: forgotten when the table filled up.
        Assert.Null(throttle.RetryAfter(Guesser));
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 21, 20, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
