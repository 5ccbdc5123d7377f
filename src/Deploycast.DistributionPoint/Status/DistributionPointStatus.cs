namespace Deploycast.DistributionPoint.Status;

/// <summary>A status message from the distribution point, as the site keeps and shows it.</summary>
/// <param name="Time">When it happened.</param>
/// <param name="Severity">One of <see cref="StatusSeverity"/>'s values.</param>
/// <param name="MessageId">One of <see cref="StatusMessageIds"/>.</param>
/// <param name="Component">The reporting component, such as "SessionScheduler".</param>
/// <param name="Description">A sentence for the administrator.</param>
/// <param name="SessionKey">The session it concerns (<see cref="Sessions.SessionSnapshot.Key"/>), if any.</param>
/// <param name="ClientId">The client it concerns, if any.</param>
public sealed record DistributionPointStatus(
    DateTimeOffset Time,
    string Severity,
    int MessageId,
    string Component,
    string Description,
    string? SessionKey,
    string? ClientId);
