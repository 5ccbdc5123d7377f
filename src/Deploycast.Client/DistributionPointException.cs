using System.Net;

namespace Deploycast.Client;

/// <summary>The distribution point refused a request; the message is its problem-details title and detail.</summary>
public sealed class DistributionPointException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
