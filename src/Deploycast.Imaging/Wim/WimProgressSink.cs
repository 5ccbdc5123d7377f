using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Deploycast.Imaging.Wim;

/// <summary>
/// Receives wimlib's progress messages for one <see cref="WimImage"/> (its progress context) and turns the
/// extraction messages into <see cref="ImageApplyProgress"/> reports; asks wimlib to abort when the apply's token
/// is canceled. Nothing may throw back into wimlib's C frames: a failure is kept and the apply aborted.
/// </summary>
internal sealed class WimProgressSink
{
    private IProgress<ImageApplyProgress>? _progress;
    private CancellationToken _cancellationToken;
    private long _completed;
    private long _total;
    private ImageApplyPhase _phase;

    /// <summary>An exception thrown by the caller's progress handler, rethrown once wimlib has returned.</summary>
    public Exception? HandlerFailure { get; private set; }

    /// <summary>Bytes of file data wimlib said it would extract (its last <c>total_bytes</c>).</summary>
    public long TotalBytes => _total;

    /// <summary>Starts routing messages to one apply.</summary>
    public void Begin(IProgress<ImageApplyProgress>? progress, CancellationToken cancellationToken)
    {
        _progress = progress;
        _cancellationToken = cancellationToken;
        _completed = 0;
        _total = 0;
        _phase = ImageApplyPhase.Preparing;
        HandlerFailure = null;
    }

    /// <summary>Reports the final <see cref="ImageApplyPhase.Done"/> and stops routing.</summary>
    public void End(bool succeeded)
    {
        if (succeeded)
        {
            _completed = _total;
            Report(ImageApplyPhase.Done);
        }

        _progress = null;
        _cancellationToken = default;
    }

    /// <summary>The progress function given to <c>wimlib_open_wim_with_progress</c>.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static unsafe int OnProgress(int message, WimNative.ProgressInfoExtract* info, nint context)
    {
        try
        {
            if (context == 0 || GCHandle.FromIntPtr(context).Target is not WimProgressSink sink)
            {
                return WimNative.ProgressStatusContinue;
            }

            return sink.Handle(message, info);
        }
        catch (Exception)
        {
            // Handle() already keeps what the caller's handler threw; anything else here must not reach C.
            return WimNative.ProgressStatusAbort;
        }
    }

    private unsafe int Handle(int message, WimNative.ProgressInfoExtract* info)
    {
        if (_cancellationToken.IsCancellationRequested || HandlerFailure is not null)
        {
            return WimNative.ProgressStatusAbort;
        }

        ImageApplyPhase phase;
        switch (message)
        {
            case WimNative.MsgExtractImageBegin:
            case WimNative.MsgExtractTreeBegin:
            case WimNative.MsgExtractFileStructure:
                phase = ImageApplyPhase.Preparing;
                break;
            case WimNative.MsgExtractStreams:
                phase = ImageApplyPhase.Writing;
                break;
            case WimNative.MsgExtractMetadata:
            case WimNative.MsgExtractImageEnd:
            case WimNative.MsgExtractTreeEnd:
                phase = ImageApplyPhase.Finishing;
                break;
            default:
                return WimNative.ProgressStatusContinue;
        }

        // wimlib's counts only grow during one extraction, but a report must never go backwards even if a
        // message carried an older value, and never past the total.
        _total = Math.Max(_total, (long)Math.Min(info->TotalBytes, long.MaxValue));
        _completed = Math.Clamp((long)Math.Min(info->CompletedBytes, long.MaxValue), _completed, _total);
        if (phase > _phase)
        {
            _phase = phase;
        }

        try
        {
            Report(_phase);
        }
        catch (Exception exception)
        {
            HandlerFailure = exception;
            return WimNative.ProgressStatusAbort;
        }

        return WimNative.ProgressStatusContinue;
    }

    private void Report(ImageApplyPhase phase) => _progress?.Report(new ImageApplyProgress(_completed, _total, phase));
}
