using System.Net;
using Deploycast.Site.Management;
using Deploycast.Site.Model;

namespace Deploycast.Site.Tests.Management;

public sealed class DeviceRegistrationTests
{
    [Fact]
    public async Task NewComputer_RegisteringSeveralTimesAtOnce_GetsOneDeviceRecord()
    {
        await using var fixture = await SiteFixture.CreateAsync(new SiteOptions { DeviceApproval = DeviceApprovalMode.AutoApproveAll });

        // Eight agents of one new computer (a retry storm after a network blip) register at the same moment, released
        // together; several rounds, so some of them find no record and add one at the same time.
        DeviceRegistration[] registrations = [];
        for (var round = 0; round < 20; round++)
        {
            var mac = $"02:00:00:00:01:{round:x2}";
            using var start = new ManualResetEventSlim();
            var waiting = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                return await fixture.Site.RegisterDeviceAsync(new DeviceEntry("MININT-NEW", [mac]), IPAddress.Parse("198.18.4.9"), CancellationToken.None);
            })).ToList();
            start.Set();
            registrations = await Task.WhenAll(waiting);

            var device = Assert.Single(await fixture.Store.FindDevicesAsync([mac], null, CancellationToken.None));
            Assert.All(registrations, r => Assert.Equal(device.Id, r.Device.Id));
            Assert.Equal([mac], device.MacAddresses);
        }

        Assert.Equal(20, (await fixture.Store.ListDevicesAsync(Page.All, CancellationToken.None)).Total);

        // Only the last credential handed out works: each registration replaces the one before.
        var working = 0;
        foreach (var registration in registrations)
        {
            working += await fixture.Site.AuthenticateDeviceAsync(registration.Credential, CancellationToken.None) is null ? 0 : 1;
        }

        Assert.Equal(1, working);
    }

    [Fact]
    public async Task Import_OfAComputerWhoseMacsMatchTwoDevices_UpdatesTheFirstAndLeavesTheOthersMac()
    {
        await using var fixture = await SiteFixture.CreateAsync();
        var a = await fixture.AddDeviceAsync("LAB-A", "00:15:5d:00:00:0a");
        var b = await fixture.AddDeviceAsync("LAB-B", "00:15:5d:00:00:0b");

        var result = await fixture.Site.ImportDevicesAsync([new DeviceEntry("LAB-A", ["00:15:5d:00:00:0a", "00:15:5d:00:00:0b", "00:15:5d:00:00:0c"])], CancellationToken.None);

        Assert.Equal(1, result.Updated);
        Assert.Equal(["00:15:5d:00:00:0a", "00:15:5d:00:00:0c"], (await fixture.Site.GetDeviceAsync(a.Id, CancellationToken.None)).MacAddresses);
        Assert.Equal(["00:15:5d:00:00:0b"], (await fixture.Site.GetDeviceAsync(b.Id, CancellationToken.None)).MacAddresses);
    }
}
