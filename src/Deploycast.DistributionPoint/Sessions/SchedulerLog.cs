using Deploycast.Multicast.Sending;
using Microsoft.Extensions.Logging;

namespace Deploycast.DistributionPoint.Sessions;

internal static partial class SchedulerLog
{
    [LoggerMessage(EventId = 3000, Message = "[{MessageId}] {Description}")]
    public static partial void Status(ILogger logger, LogLevel level, int messageId, string description);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Error, Message = "Multicast session {SessionKey} could not start")]
    public static partial void StartFailed(ILogger logger, Exception exception, string sessionKey);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning, Message = "Multicast session {SessionKey}: {Call} failed")]
    public static partial void SessionCallFailed(ILogger logger, Exception exception, string sessionKey, string call);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Error, Message = "The status sink failed to record message {MessageId}")]
    public static partial void StatusSinkFailed(ILogger logger, Exception exception, int messageId);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Warning, Message = "A SessionChanged handler failed for session {SessionKey}")]
    public static partial void SessionChangedHandlerFailed(ILogger logger, Exception exception, string sessionKey);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Debug, Message = "Multicast session {SessionKey}: {Kind} event for receiver {ReceiverId:x8}, which no client has")]
    public static partial void UnknownReceiver(ILogger logger, string sessionKey, uint receiverId, ReceiverEventKind kind);
}
