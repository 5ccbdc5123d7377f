using System.Net;

namespace Deploycast.IntegrationTests;

/// <summary>Gives each test its own group and port on loopback, so tests running side by side never meet.</summary>
internal static class TestPorts
{
    private static int s_next = 40000 + (Environment.ProcessId % 1000 * 10);

    public static IPEndPoint NextGroup()
    {
        var port = Interlocked.Add(ref s_next, 2);
        return new IPEndPoint(IPAddress.Parse($"239.255.{(port >> 8) & 0xFF}.{port & 0xFF}"), port);
    }
}
