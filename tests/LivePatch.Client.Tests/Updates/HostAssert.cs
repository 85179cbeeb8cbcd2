using LivePatch.Core;
using LivePatch.Client.Updates;

namespace LivePatch.Client.Tests.Updates;

/// <summary>The shapes every attack test asserts: refused with a code, nothing new at the loader, trust kept.</summary>
internal static class HostAssert
{
    public static void Refused(UpdateResult result, ErrorCategory kind, params string[] codes)
    {
        Assert.False(result.Succeeded, $"expected a refusal ({string.Join(" or ", codes)}), got {result.Action}: {result.Message}");
        Assert.Equal("failed", result.ActionName);
        Assert.Equal(kind, result.Failure!.Category);
        Assert.Contains(result.Failure.Code, codes);
    }

    public static void Applied(UpdateResult result)
    {
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("applied", result.ActionName);
    }

    /// <summary>The loader saw nothing and the state kept what it trusted: applied patches, versions, pinned repository id.</summary>
    public static void NothingChanged(HostSnapshot before, TestHost host)
    {
        var after = host.Snapshot();
        Assert.Equal(before.Staged, after.Staged);
        Assert.Equal(before.Applied, after.Applied);
        Assert.Equal(before.Trust, after.Trust);
    }

    /// <summary>The loader saw nothing and the state's applied patches are the same (the manifest itself was valid, so its
    /// version may be recorded: docs/architecture.md, step 6 persists it before the module is fetched).</summary>
    public static void NothingLoaded(HostSnapshot before, TestHost host)
    {
        var after = host.Snapshot();
        Assert.Equal(before.Staged, after.Staged);
        Assert.Equal(before.Applied, after.Applied);
    }
}
