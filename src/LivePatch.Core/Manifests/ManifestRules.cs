namespace LivePatch.Core.Manifests;

/// <summary>Semantic rules for manifests and indexes that JSON typing alone does not enforce.</summary>
internal static class ManifestRules
{
    /// <summary>GNU build IDs are 8 to 64 bytes (DESIGN.md "Identity and trust").</summary>
    public const int MinBuildIdHexChars = 16;
    public const int MaxBuildIdHexChars = 128;

    public const int MaxModuleNameLength = Modules.ModuleNames.MaxLength;

    public static void Validate(Manifest m)
    {
        var code = ErrorCodes.ManifestMalformed;
        Require(m.Schema == Manifest.CurrentSchema, code, $"$.schema: unsupported schema {m.Schema}.");
        RequireText(m.Repository, code, "$.repository");
        RequireText(m.Channel, code, "$.channel");
        // An empty manifest ("this kernel is not covered") has no module to take a release from.
        if (m.Patches.Count + m.Revoked.Count > 0)
        {
            RequireText(m.KernelRelease, code, "$.kernelRelease");
        }

        RequireBuildId(m.BuildId, code, "$.buildId");
        Require(m.Expires > m.Issued, code, "$.expires: must be after $.issued.");
        var seen = new HashSet<(string, int)>();
        for (var i = 0; i < m.Patches.Count; i++)
        {
            var p = m.Patches[i] ?? throw Fail(code, $"$.patches[{i}]: null.");
            ValidatePatch(p, $"$.patches[{i}]");
            Require(seen.Add((p.Name, p.Level)), code, $"$.patches[{i}]: duplicate {p.Name} level {p.Level}.");
        }

        for (var i = 0; i < m.Revoked.Count; i++)
        {
            var r = m.Revoked[i] ?? throw Fail(code, $"$.revoked[{i}]: null.");
            RequireModuleName(r.Name, code, $"$.revoked[{i}].name");
            Require(r.Level > 0, code, $"$.revoked[{i}].level: must be > 0.");
            RequireSha256(r.Sha256, code, $"$.revoked[{i}].sha256");
            RequireText(r.Reason, code, $"$.revoked[{i}].reason");
        }
    }

    public static void Validate(RepositoryIndex index)
    {
        var code = ErrorCodes.IndexMalformed;
        Require(index.Schema == RepositoryIndex.CurrentSchema, code, $"$.schema: unsupported schema {index.Schema}.");
        RequireText(index.Repository, code, "$.repository");
        Require(index.Expires > index.Issued, code, "$.expires: must be after $.issued.");
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < index.Manifests.Count; i++)
        {
            var path = $"$.manifests[{i}]";
            var e = index.Manifests[i] ?? throw Fail(code, $"{path}: null.");
            RequireText(e.Channel, code, $"{path}.channel");
            RequireBuildId(e.BuildId, code, $"{path}.buildId");
            RequireSha256(e.Sha256, code, $"{path}.sha256");
            Require(e.Size >= 0, code, $"{path}.size: must be >= 0.");
            Require(seen.Add((e.Channel, e.BuildId)), code, $"{path}: duplicate {e.Channel}/{e.BuildId}.");
        }
    }

    private static void ValidatePatch(ManifestPatch p, string path)
    {
        var code = ErrorCodes.ManifestMalformed;
        RequireModuleName(p.Name, code, $"{path}.name");
        Require(p.Level > 0, code, $"{path}.level: must be > 0.");
        RequireSha256(p.Sha256, code, $"{path}.sha256");
        Require(p.Size >= 0, code, $"{path}.size: must be >= 0.");
        RequireText(p.Signer, code, $"{path}.signer");
        for (var i = 0; i < p.Cves.Count; i++)
        {
            RequireText(p.Cves[i], code, $"{path}.cves[{i}]");
        }
    }

    public static bool IsLowerHex(string? s) =>
        s is not null && s.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private static void RequireBuildId(string value, ErrorCode code, string path) =>
        Require(
            IsLowerHex(value) && value.Length % 2 == 0
                && value.Length is >= MinBuildIdHexChars and <= MaxBuildIdHexChars,
            code,
            $"{path}: must be {MinBuildIdHexChars} to {MaxBuildIdHexChars} lowercase hex characters.");

    private static void RequireSha256(string value, ErrorCode code, string path) =>
        Require(IsLowerHex(value) && value.Length == 64, code, $"{path}: must be 64 lowercase hex characters.");

    // The name becomes a /sys/kernel/livepatch/<name> path on the host: no separators, no dots.
    private static void RequireModuleName(string value, ErrorCode code, string path) =>
        Require(
            Modules.ModuleNames.IsValid(value),
            code,
            $"{path}: must be 1 to {MaxModuleNameLength} characters of [A-Za-z0-9_-].");

    private static void RequireText(string? value, ErrorCode code, string path) =>
        Require(!string.IsNullOrWhiteSpace(value), code, $"{path}: must not be empty.");

    private static void Require(bool condition, ErrorCode code, string message) =>
        LivePatchFormatException.ThrowUnless(condition, code, message);

    private static LivePatchFormatException Fail(ErrorCode code, string message) => new(code, message);
}
