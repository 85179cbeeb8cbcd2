using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LivePatch.Core;

/// <summary>Asks Linux to back a large pinned array with transparent huge pages (madvise MADV_HUGEPAGE).</summary>
/// <remarks>
/// A table read at random, such as the server's manifests at 100,000 kernels, costs a TLB miss on almost every read
/// with 4 KiB pages; with 2 MiB pages its page-table entries fit the TLB. Where THP is set to <c>madvise</c> (a
/// common default) only memory advised like this gets huge pages. Best effort: the advice covers the 2 MiB-aligned
/// part of the array, takes effect for pages not yet touched (so advise before filling), and failures, other
/// systems and arrays under 4 MiB are ignored.
/// </remarks>
public static partial class HugePages
{
    private const long HugePageBytes = 2 * 1024 * 1024; // x86-64, and arm64 with 4 KiB base pages
    private const int AdviseHugePage = 14;               // MADV_HUGEPAGE

    /// <summary>Advises huge pages for <paramref name="pinned"/>, which must live on the pinned object heap
    /// (<see cref="GC.AllocateUninitializedArray{T}(int, bool)"/> with <c>pinned: true</c>): its address never changes.</summary>
    /// <returns>Whether the kernel accepted the advice.</returns>
    public static bool Advise<T>(T[] pinned) where T : unmanaged
    {
        var bytes = (long)pinned.Length * Unsafe.SizeOf<T>();
        if (!OperatingSystem.IsLinux() || bytes < 2 * HugePageBytes)
        {
            return false;
        }

        var start = (long)Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0);
        var first = (start + HugePageBytes - 1) & ~(HugePageBytes - 1);
        var end = (start + bytes) & ~(HugePageBytes - 1);
        return end > first && Madvise((nint)first, (nuint)(end - first), AdviseHugePage) == 0;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
