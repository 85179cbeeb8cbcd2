namespace LivePatch.Core.Manifests;

/// <summary>Coverage bin rules (docs/manifests.md, "Coverage bins"), sharing the manifest field rules.</summary>
internal static partial class ManifestRules
{
    public static void Validate(CoverageBin bin)
    {
        var code = ErrorCodes.CoverageMalformed;
        Require(bin.Schema == CoverageBin.CurrentSchema, code, $"$.schema: unsupported schema {bin.Schema}.");
        RequireShortText(bin.Repository, code, "$.repository");
        RequireShortText(bin.Channel, code, "$.channel");
        Require(bin.Prefix is { Length: CoverageBin.PrefixLength } && IsLowerHex(bin.Prefix), code,
            $"$.prefix: must be {CoverageBin.PrefixLength} lowercase hex characters.");
        RequireVersion(bin.Version, code, "$.version");
        RequireDate(bin.Issued, code, "$.issued");
        RequireDate(bin.Expires, code, "$.expires");
        Require(bin.Expires > bin.Issued, code, "$.expires: must be after $.issued.");
        RequireCount(bin.Kernels.Count, ManifestLimits.MaxCoverageBinEntries, code, "$.kernels");
        for (var i = 0; i < bin.Kernels.Count; i++)
        {
            var path = new FieldPath("$.kernels", i);
            var k = bin.Kernels[i] ?? throw Fail(code, $"{path}: null.");
            ValidateCoveredKernel(bin.Prefix, i > 0 ? bin.Kernels[i - 1]!.BuildId : null, k.BuildId, k.Version, k.Size, path);
            RequireSha256(k.Sha256, code, path.Field(".sha256"));
        }
    }

    /// <summary>The rules of one covered kernel but its SHA-256 (<see cref="Validate(CoverageBin)"/>, and
    /// <see cref="CoverageBinSerializer"/>'s writer of entries, whose SHA-256 is bytes): its build ID, in the bin's prefix and
    /// after <paramref name="previous"/> (the entry before it; null for the first), its version and its size.</summary>
    internal static void ValidateCoveredKernel(string prefix, string? previous, string buildId, ulong version, long size, FieldPath path)
    {
        var code = ErrorCodes.CoverageMalformed;
        RequireBuildId(buildId, code, path.Field(".buildId"));
        Require(buildId.StartsWith(prefix, StringComparison.Ordinal), code, $"{path}.buildId: does not start with the bin's prefix '{prefix}'.");
        RequireVersion(version, code, path.Field(".version"));
        Require(size is > 0 and <= ManifestLimits.MaxSignedManifestSize, code, $"{path}.size: must be 1 to {ManifestLimits.MaxSignedManifestSize}.");
        if (previous is not null)
        {
            RequireAscending(previous, buildId, code, path);
        }
    }

    // Strictly ascending (ordinal, which for lowercase hex is byte order): one content has one byte form, so the bin's
    // SHA-256 is stable for mirrors; duplicates cannot hide; a host finds its kernel by binary search, no set to build.
    private static void RequireAscending(string previous, string current, ErrorCode code, FieldPath path)
    {
        var order = string.CompareOrdinal(previous, current);
        Require(order != 0, code, $"{path}.buildId: duplicate {current}.");
        Require(order < 0, code, $"{path}.buildId: {current} follows {previous}; kernels must be sorted by build ID.");
    }
}
