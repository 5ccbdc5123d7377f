using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Deploycast.Site.Management;
using Deploycast.Site.Model;
using Microsoft.AspNetCore.Http;

namespace Deploycast.Site.Api;

/// <summary>
/// <c>GET /api/v1/status-messages/events</c>: server-sent events, one <c>status</c> event per status message as the site
/// stores it (from agents, distribution points and the site), optionally only those of one deployment. The web
/// console's deployments page refreshes a deployment's summary when one of its messages arrives, instead of polling.
/// </summary>
internal static class StatusMessageEvents
{
    /// <summary>How many messages wait for a slow reader before the oldest are dropped (a reader refreshes on any of them).</summary>
    private const int Buffered = 256;

    /// <summary>A comment line this often keeps proxies from closing a quiet stream.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IResult Stream(SiteManager site, string? deploymentId, CancellationToken cancellationToken) =>
        TypedResults.ServerSentEvents(ReadAsync(site, deploymentId, cancellationToken));

    private static async IAsyncEnumerable<SseItem<StatusMessage?>> ReadAsync(SiteManager site, string? deploymentId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var messages = Channel.CreateBounded<StatusMessage>(new BoundedChannelOptions(Buffered) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnStatus(StatusMessage message)
        {
            if (deploymentId is null || string.Equals(message.DeploymentId, deploymentId, StringComparison.OrdinalIgnoreCase))
            {
                messages.Writer.TryWrite(message);
            }
        }

        site.StatusReported += OnStatus;
        try
        {
            // An opening event, so a client knows the stream is live before the first message.
            yield return new SseItem<StatusMessage?>(null, "open");
            while (!cancellationToken.IsCancellationRequested)
            {
                StatusMessage? next = null;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    wait.CancelAfter(KeepAlive);
                    try
                    {
                        next = await messages.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // quiet: send a keep-alive below
                    }
                    catch (OperationCanceledException)
                    {
                        yield break;
                    }
                }

                yield return next is null ? new SseItem<StatusMessage?>(null, "keep-alive") : new SseItem<StatusMessage?>(next, "status");
            }
        }
        finally
        {
            site.StatusReported -= OnStatus;
        }
    }
}
