using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace LivePatch.Core.Manifests;

/// <summary>Caps on manifest and index fields (docs/manifests.md): a manifest signed by a compromised or buggy key must
/// not crash or freeze the host that parses it. The server checks the same caps before it publishes.</summary>
public static class ManifestLimits
{
    /// <summary>2^53 − 1: the largest integer a JSON number keeps exactly in JavaScript and most JSON tools.</summary>
    public const ulong MaxVersion = 9_007_199_254_740_991;

    /// <summary>Dates outside 2000..2200 are not real publications, and inside it <c>published + patchDelay</c> cannot overflow.</summary>
    public static readonly DateTimeOffset MinDate = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>See <see cref="MinDate"/>.</summary>
    public static readonly DateTimeOffset MaxDate = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>2 GiB − 1: the client's own maximum maxModuleBytes (the client checks its configured limit itself).</summary>
    public const long MaxPatchSize = int.MaxValue;

    /// <summary>A million levels are more than any kernel's lifetime of fixes; it keeps <c>level + 1</c> far from overflow.</summary>
    public const int MaxLevel = 1_000_000;

    /// <summary>Patches or revoked entries in one manifest (one kernel): more is an attack on the host's time and memory.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>Bins in one index: 256 per channel, for up to 256 channels.</summary>
    public const int MaxIndexBins = 256 * 256;

    /// <summary>Kernels in one coverage bin: build IDs are hashes, so a bin of a repository of 100,000 kernels holds about
    /// 400; a hundred thousand in one bin is no honest repository.</summary>
    public const int MaxCoverageBinEntries = 100_000;

    /// <summary>16 MiB: sixteen times hosts' default maxManifestBytes, and the server signs none above 1 MiB;
    /// a coverage entry naming a larger signed manifest is no manifest this project makes.</summary>
    public const long MaxSignedManifestSize = 16 * 1024 * 1024;

    /// <summary>CVE ids of one patch.</summary>
    public const int MaxCvesPerPatch = 256;

    /// <summary>Descriptions are prose for people; 16 KiB is pages of it.</summary>
    public const int MaxDescriptionLength = 16 * 1024;

    /// <summary>A revocation reason is a sentence or a paragraph.</summary>
    public const int MaxReasonLength = 4 * 1024;

    /// <summary>Names, releases, signers and severities are identifiers, never prose.</summary>
    public const int MaxShortTextLength = 256;

    /// <summary>True when <paramref name="value"/> may stand in a manifest as prose (a description, a revocation reason): at most
    /// <paramref name="max"/> characters and no control character but newline and tab. The server checks requests with it,
    /// so that it never signs what its hosts refuse.</summary>
    public static bool IsProse(string value, int max) => value.Length <= max && !value.AsSpan().ContainsAny(NotInProse);

    /// <summary>True when <paramref name="value"/> is a CVE id as manifests carry them (<c>CVE-2024-1086</c>, ASCII digits):
    /// the one rule for every place a CVE id comes in (host reports, fleet queries).</summary>
    public static bool IsCveId(string? value) => value is not null && ManifestRules.IsCveId(value);

    /// <summary>C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F).</summary>
    internal static bool IsControl(char c) => c is <= '\u001f' or (>= '\u007f' and <= '\u009f');

    /// <summary>Whether <paramref name="value"/> holds a character <see cref="IsControl"/> refuses (vectorized).</summary>
    internal static bool HasControl(ReadOnlySpan<char> value) => value.ContainsAny(Controls);

    private static readonly SearchValues<char> Controls = SearchValues.Create(ControlCharacters(keep: ""));

    private static readonly SearchValues<char> NotInProse = SearchValues.Create(ControlCharacters(keep: "\n\t"));

    private static string ControlCharacters(string keep) =>
        new([.. Enumerable.Range(0, 0xa0).Select(c => (char)c).Where(c => IsControl(c) && !keep.Contains(c))]);
}

/// <summary>Semantic rules for manifests and indexes that JSON typing alone does not enforce.</summary>
internal static partial class ManifestRules
{
    /// <summary>GNU build IDs are 8 to 64 bytes (docs/architecture.md, "The chain of trust").</summary>
    public const int MinBuildIdHexChars = 16;
    public const int MaxBuildIdHexChars = 128;

    public const int MaxModuleNameLength = Modules.ModuleNames.MaxLength;

    public static void Validate(Manifest m)
    {
        var code = ErrorCodes.ManifestMalformed;
        Require(m.Schema == Manifest.CurrentSchema, code, $"$.schema: unsupported schema {m.Schema}.");
        RequireShortText(m.Repository, code, "$.repository");
        RequireShortText(m.Channel, code, "$.channel");
        // An empty manifest ("this kernel is not covered") has no module to take a release from.
        if (m.Patches.Count + m.Revoked.Count > 0)
        {
            RequireShortText(m.KernelRelease, code, "$.kernelRelease");
        }

        RequireOptionalShortText(m.KernelRelease, code, "$.kernelRelease");
        RequireBuildId(m.BuildId, code, "$.buildId");
        RequireVersion(m.Version, code, "$.version");
        RequireDate(m.Issued, code, "$.issued");
        RequireDate(m.Expires, code, "$.expires");
        Require(m.Expires > m.Issued, code, "$.expires: must be after $.issued.");
        RequireCount(m.Patches.Count, ManifestLimits.MaxEntries, code, "$.patches");
        RequireCount(m.Revoked.Count, ManifestLimits.MaxEntries, code, "$.revoked");
        var seen = new HashSet<(string, int)>();
        for (var i = 0; i < m.Patches.Count; i++)
        {
            var path = new FieldPath("$.patches", i);
            var p = m.Patches[i] ?? throw Fail(code, $"{path}: null.");
            ValidatePatch(p, path);
            Require(seen.Add((p.Name, p.Level)), code, $"{path}: duplicate {p.Name} level {p.Level}.");
        }

        for (var i = 0; i < m.Revoked.Count; i++)
        {
            var path = new FieldPath("$.revoked", i);
            var r = m.Revoked[i] ?? throw Fail(code, $"{path}: null.");
            RequireModuleName(r.Name, code, path.Field(".name"));
            RequireLevel(r.Level, code, path.Field(".level"));
            RequireSha256(r.Sha256, code, path.Field(".sha256"));
            RequireText(r.Reason, code, path.Field(".reason"));
            RequireProse(r.Reason, ManifestLimits.MaxReasonLength, code, path.Field(".reason"));
            RequireDate(r.RevokedAt, code, path.Field(".revokedAt"));
        }
    }

    public static void Validate(RepositoryIndex index)
    {
        var code = ErrorCodes.IndexMalformed;
        Require(index.Schema == RepositoryIndex.CurrentSchema, code, $"$.schema: unsupported schema {index.Schema}.");
        RequireShortText(index.Repository, code, "$.repository");
        RequireVersion(index.Version, code, "$.version");
        RequireDate(index.Issued, code, "$.issued");
        RequireDate(index.Expires, code, "$.expires");
        Require(index.Expires > index.Issued, code, "$.expires: must be after $.issued.");
        RequireCount(index.Bins.Count, ManifestLimits.MaxIndexBins, code, "$.bins");
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < index.Bins.Count; i++)
        {
            var path = new FieldPath("$.bins", i);
            var b = index.Bins[i] ?? throw Fail(code, $"{path}: null.");
            RequireShortText(b.Channel, code, path.Field(".channel"));
            Require(b.Prefix is { Length: CoverageBin.PrefixLength } && IsLowerHex(b.Prefix), code,
                $"{path}.prefix: must be {CoverageBin.PrefixLength} lowercase hex characters.");
            RequireVersion(b.Version, code, path.Field(".version"));
            RequireSha256(b.Sha256, code, path.Field(".sha256"));
            Require(b.Size is > 0 and <= ManifestLimits.MaxSignedManifestSize, code, $"{path}.size: must be 1 to {ManifestLimits.MaxSignedManifestSize}.");
            Require(seen.Add((b.Channel, b.Prefix)), code, $"{path}: duplicate {b.Channel}/{b.Prefix}.");
        }
    }

    private static void ValidatePatch(ManifestPatch p, FieldPath path)
    {
        var code = ErrorCodes.ManifestMalformed;
        RequireModuleName(p.Name, code, path.Field(".name"));
        RequireLevel(p.Level, code, path.Field(".level"));
        RequireSha256(p.Sha256, code, path.Field(".sha256"));
        Require(p.Size is > 0 and <= ManifestLimits.MaxPatchSize, code, $"{path}.size: must be 1 to {ManifestLimits.MaxPatchSize}.");
        RequireShortText(p.Signer, code, path.Field(".signer"));
        RequireOptionalShortText(p.Severity, code, path.Field(".severity"));
        RequireProse(p.Description, ManifestLimits.MaxDescriptionLength, code, path.Field(".description"));
        RequireDate(p.Published, code, path.Field(".published"));
        RequireCount(p.Cves.Count, ManifestLimits.MaxCvesPerPatch, code, path.Field(".cves"));
        if (p.Upstream is { } upstream)
        {
            RequireShortText(upstream.Repository, code, path.Field(".upstream.repository"));
            RequireVersion(upstream.Version, code, path.Field(".upstream.version"));
        }

        for (var i = 0; i < p.Cves.Count; i++)
        {
            Require(p.Cves[i] is { } cve && CveId().IsMatch(cve), code, $"{path}.cves[{i}]: must be a CVE id like CVE-2024-1086.");
        }
    }

    /// <summary>ASCII digits only (<c>\d</c> would accept Arabic-Indic and other digits); <c>\z</c>, since <c>$</c> allows a final newline.</summary>
    [GeneratedRegex(@"^CVE-[0-9]{4}-[0-9]{4,19}\z", RegexOptions.CultureInvariant)]
    private static partial Regex CveId();

    internal static bool IsCveId(string value) => CveId().IsMatch(value);

    private static void RequireVersion(ulong version, ErrorCode code, FieldPath path) =>
        Require(version <= ManifestLimits.MaxVersion, code, $"{path}: must be at most {ManifestLimits.MaxVersion} (2^53 - 1).");

    private static void RequireDate(DateTimeOffset date, ErrorCode code, FieldPath path) =>
        Require(date >= ManifestLimits.MinDate && date <= ManifestLimits.MaxDate, code,
            $"{path}: must be between {ManifestLimits.MinDate:yyyy-MM-dd} and {ManifestLimits.MaxDate:yyyy-MM-dd}.");

    private static void RequireLevel(int level, ErrorCode code, FieldPath path) =>
        Require(level is > 0 and <= ManifestLimits.MaxLevel, code, $"{path}: must be 1 to {ManifestLimits.MaxLevel}.");

    internal static void RequireCount(int count, int max, ErrorCode code, FieldPath path) =>
        Require(count <= max, code, $"{path}: at most {max} entries.");

    private static void RequireShortText(string? value, ErrorCode code, FieldPath path)
    {
        RequireText(value, code, path);
        RequireOptionalShortText(value, code, path);
    }

    private static void RequireOptionalShortText(string? value, ErrorCode code, FieldPath path) =>
        Require(value is null || (value.Length <= ManifestLimits.MaxShortTextLength && !ManifestLimits.HasControl(value)), code,
            $"{path}: at most {ManifestLimits.MaxShortTextLength} characters, no control characters.");

    // Prose may break lines and indent; no other control character (terminal escapes, NUL) reaches a host's log.
    private static void RequireProse(string? value, int max, ErrorCode code, FieldPath path) =>
        Require(value is null || ManifestLimits.IsProse(value, max), code, $"{path}: at most {max} characters, no control characters but newline and tab.");

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    public static bool IsLowerHex(string? s) => s is not null && !s.AsSpan().ContainsAnyExcept(LowerHexDigits);

    private static void RequireBuildId(string value, ErrorCode code, FieldPath path) =>
        Require(
            IsLowerHex(value) && value.Length % 2 == 0
                && value.Length is >= MinBuildIdHexChars and <= MaxBuildIdHexChars,
            code,
            $"{path}: must be {MinBuildIdHexChars} to {MaxBuildIdHexChars} lowercase hex characters.");

    private static void RequireSha256(string value, ErrorCode code, FieldPath path) =>
        Require(IsLowerHex(value) && value.Length == 64, code, $"{path}: must be 64 lowercase hex characters.");

    // The name becomes a /sys/kernel/livepatch/<name> path on the host: no separators, no dots.
    private static void RequireModuleName(string value, ErrorCode code, FieldPath path) =>
        Require(
            Modules.ModuleNames.IsValid(value),
            code,
            $"{path}: must be 1 to {MaxModuleNameLength} characters of [A-Za-z0-9_-].");

    private static void RequireText(string? value, ErrorCode code, FieldPath path) =>
        Require(!string.IsNullOrWhiteSpace(value), code, $"{path}: must not be empty.");

    private static void Require(bool condition, ErrorCode code, string message) =>
        LivePatchFormatException.ThrowUnless(condition, code, message);

    /// <summary>As <see cref="Require(bool, ErrorCode, string)"/>, but the message is formatted only when the rule fails: a
    /// coverage bin or an index is thousands of checks, and formatting each one's message (numbers, dates, paths) cost
    /// more than the checks.</summary>
    private static void Require(bool condition, ErrorCode code, [InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessage message)
    {
        if (!condition)
        {
            throw new LivePatchFormatException(code, message.ToStringAndClear());
        }
    }

    private static LivePatchFormatException Fail(ErrorCode code, string message) => new(code, message);
}
