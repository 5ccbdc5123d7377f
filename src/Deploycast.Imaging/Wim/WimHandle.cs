using System.Runtime.InteropServices;

namespace Deploycast.Imaging.Wim;

/// <summary>
/// An open <c>WIMStruct*</c>. Releasing it calls <c>wimlib_free</c> and only then frees the GC handle wimlib was
/// given as its progress context, so wimlib can never call back into a collected object.
/// </summary>
internal sealed class WimHandle : SafeHandle
{
    private GCHandle _progressContext;

    public WimHandle(nint wim, GCHandle progressContext)
        : base(0, ownsHandle: true)
    {
        SetHandle(wim);
        _progressContext = progressContext;
        WimLibrary.AddOpen();
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        WimNative.Free(handle);
        if (_progressContext.IsAllocated)
        {
            _progressContext.Free();
        }

        WimLibrary.RemoveOpen();
        return true;
    }
}
