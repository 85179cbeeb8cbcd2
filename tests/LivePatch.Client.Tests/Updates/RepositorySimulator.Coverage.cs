using System.Security.Cryptography;
using System.Text.Json;
using LivePatch.Client.Updates;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;
using Microsoft.AspNetCore.Http;

namespace LivePatch.Client.Tests.Updates;

/// <summary>The simulator's coverage bins (docs/manifests.md, "Coverage bins"): computed from what it serves, signed in
/// memory, served at <c>/v1/coverage/{channel}/{prefix}</c> with ETags; and the ways a mirror can lie with them.</summary>
public sealed partial class RepositorySimulator
{
    private readonly Lock _binLock = new();
    private (string Key, byte[] Signed)? _renderedBin;

    /// <summary>Whether this repository covers <see cref="BuildId"/>: false answers its manifest with 404 and leaves it out
    /// of the bin (an honest "not covered").</summary>
    public bool Covered { get; set; } = true;

    /// <summary>Answer the manifest with 404 although the bin lists the kernel: a mirror hiding a fix.</summary>
    public bool WithholdManifest { get; set; }

    /// <summary>Answer a manifest 404 with the server's <c>kernel-not-covered</c> problem rather than a static mirror's bare 404.</summary>
    public bool NotCoveredProblem { get; set; }

    /// <summary>Answer the bin with a bare 404: a mirror without coverage bins.</summary>
    public bool BinMissing { get; set; }

    /// <summary>Leave <see cref="BuildId"/> out of the bin although it is covered: what a mirror needs to fake "not covered"
    /// (it then has to sign the bin itself: <see cref="BinSigners"/>).</summary>
    public bool DropKernelFromBin { get; set; }

    /// <summary>Answer the bin with 404 and a problem document carrying this code (a mirror-mode server's <c>not-found</c>,
    /// <c>unknown-channel</c>, a store's own code).</summary>
    public string? BinProblem { get; set; }

    /// <summary>Flip a byte of the bin's JSON inside its CMS.</summary>
    public bool TamperBin { get; set; }

    // What the bin says, when it differs from what was asked or from the manifest: another repository's, channel's or
    // prefix's bin, an older one, an expired one.
    public string? BinRepositoryId { get; set; }
    public string? BinChannel { get; set; }
    public string? BinPrefix { get; set; }
    public ulong? BinVersion { get; set; }
    public DateTimeOffset? BinIssued { get; set; }
    public DateTimeOffset? BinExpires { get; set; }

    /// <summary>Other kernels of this channel the repository covers (build IDs), listed in their bins beside <see cref="BuildId"/>.</summary>
    public List<string> AlsoCovered { get; } = [];

    /// <summary>Who signs the bins; null: the manifest's <see cref="Signers"/>.</summary>
    public IReadOnlyList<SigningIdentity>? BinSigners { get; set; }

    /// <summary>Bytes served as the bin instead of a fresh rendering: a replay of a bin signed earlier.</summary>
    public byte[]? BinReplay { get; set; }

    public int CoverageRequests => Requests.Count(r => r.Path.StartsWith("/v1/coverage/", StringComparison.Ordinal));

    /// <summary>The prefix of the bin the host's kernel falls in.</summary>
    public string KernelPrefix => CoverageBin.PrefixOf(BuildId);

    /// <summary>The signed bin for <paramref name="prefix"/> (default: the kernel's) as it is served now: what an attacker can record.</summary>
    public byte[] SignedCoverageBin(string? prefix = null)
    {
        var json = RenderBin(CurrentBin(prefix ?? KernelPrefix));
        var signers = BinSigners ?? Signers;
        var key = Convert.ToHexString(SHA256.HashData(json)) + string.Join(",", signers.Select(s => s.Certificate.Thumbprint));
        lock (_binLock)
        {
            if (_renderedBin is not { } rendered || rendered.Key != key)
            {
                rendered = (key, SignedContent.Sign(json, LivePatchOids.CoverageBinContentType, signers, Now));
                _renderedBin = rendered;
            }

            return rendered.Signed;
        }
    }

    // Without CoverageBinSerializer's rules, as for manifests: the host must refuse on its own what a signer should not sign.
    private static byte[] RenderBin(CoverageBin bin) => JsonSerializer.SerializeToUtf8Bytes(bin, LivePatchJsonContext.Default.CoverageBin);

    /// <summary>Every kernel this simulator covers whose build ID starts with <paramref name="prefix"/>, with its manifest's
    /// version, SHA-256 and size: what the real server derives from its manifests.</summary>
    private CoverageBin CurrentBin(string prefix)
    {
        var prefixOfBin = BinPrefix ?? prefix;
        var kernels = new List<CoveredKernel>();
        if (Covered && !DropKernelFromBin)
        {
            var manifest = SignedManifest();
            kernels.Add(new CoveredKernel { BuildId = BuildId, Version = Version, Sha256 = Convert.ToHexStringLower(SHA256.HashData(manifest)), Size = manifest.Length });
        }

        kernels.AddRange(AlsoCovered.Select(id => new CoveredKernel { BuildId = id, Version = Version, Sha256 = new string('a', 64), Size = 1000 }));
        return new CoverageBin
        {
            Schema = CoverageBin.CurrentSchema,
            Repository = BinRepositoryId ?? RepositoryId,
            Channel = BinChannel ?? Channel,
            Prefix = prefixOfBin,
            Version = BinVersion ?? Version,
            Issued = BinIssued ?? Now.AddHours(-1),
            Expires = BinExpires ?? Now.AddDays(7),
            Kernels = [.. kernels.Where(k => k.BuildId.StartsWith(prefixOfBin, StringComparison.Ordinal)).OrderBy(k => k.BuildId, StringComparer.Ordinal)],
        };
    }

    private async Task AnswerNotCoveredAsync(HttpContext context)
    {
        Log(context, StatusCodes.Status404NotFound);
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        if (NotCoveredProblem)
        {
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsync($$"""{"title":"Not covered","status":404,"detail":"no live patches for this kernel","code":"{{SignedDocumentFetcher.KernelNotCoveredProblem}}"}""");
        }
    }

    private async Task ServeCoverageBinAsync(HttpContext context, string prefix)
    {
        if (await RefuseAsync(context))
        {
            return;
        }

        if (BinProblem is { } code)
        {
            Log(context, StatusCodes.Status404NotFound);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsync($$"""{"title":"{{code}}","status":404,"detail":"no such bin here","code":"{{code}}"}""");
            return;
        }

        if (BinMissing)
        {
            Log(context, StatusCodes.Status404NotFound);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var signed = BinReplay ?? SignedCoverageBin(prefix);
        await WriteSignedAsync(context, TamperBin ? Tampered(signed, RenderBin(CurrentBin(prefix))) : signed);
    }
}
