using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch manifest …</c>: sign manifests offline and verify signed ones.</summary>
internal static class ManifestCommands
{
    // A manifest lists the patches of one kernel: kilobytes. The bound keeps a wrong file harmless.
    private const int MaxManifestBytes = 16 * 1024 * 1024;

    public static Command Build() => new("manifest", "Sign and verify repository manifests (CMS, docs/manifests.md).")
    {
        Sign(),
        Verify(),
    };

    private static Command Sign()
    {
        var file = new Argument<FileInfo>("FILE.json") { Description = "The manifest JSON; exactly these bytes are signed." };
        var key = new Option<FileInfo>("--key") { Description = "Manifest signing private key, PEM.", Required = true };
        var cert = new Option<FileInfo>("--cert") { Description = "Manifest signing certificate (issued by a root the clients pin), PEM.", Required = true };
        var chain = new Option<FileInfo[]>("--chain") { Description = "Intermediate certificate(s) to ship with the signature, PEM. Never the root." };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the signed manifest (DER CMS).", Required = true };
        var command = new Command("sign", "Sign a manifest offline: attached CMS with the manifest content type, signing time and the signer's chain without the root.")
        {
            file, key, cert, chain, output,
        };
        command.SetAction(parse =>
        {
            var content = FileBytes.ReadBounded(parse.GetRequiredValue(file).FullName, MaxManifestBytes);
            var manifest = ManifestSerializer.Deserialize(content); // refuse to sign something clients would reject
            var signer = SigningIdentity.LoadPem(parse.GetRequiredValue(cert).FullName, parse.GetRequiredValue(key).FullName,
                (parse.GetValue(chain) ?? []).Select(f => f.FullName));
            var signed = SignedContent.Sign(content, LivePatchOids.ManifestContentType, [signer], DateTimeOffset.UtcNow);
            var destination = parse.GetRequiredValue(output).FullName;
            AtomicFile.Write(destination, signed);
            parse.InvocationConfiguration.Output.WriteLine(
                $"signed manifest {manifest.Channel}/{manifest.BuildId} version {manifest.Version} -> {destination}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Verify()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A signed manifest (DER CMS), as served at /v1/manifests/{channel}/{buildId}." };
        var roots = new Option<FileInfo[]>("--root") { Description = "Pinned root certificate(s), PEM. Repeatable.", Required = true };
        var threshold = new Option<int>("--threshold") { Description = "Distinct trusted signers required.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print the verified manifest as JSON." };
        var command = new Command("verify", "Verify a signed manifest (signature, chain to a pinned root, signing EKU, threshold, expiry) and print it. Exit 0 valid, 1 refused, 2 unreadable input.")
        {
            file, roots, threshold, json,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(file).FullName;
            var policy = new TrustPolicy
            {
                Roots = TrustPolicy.LoadRoots(parse.GetRequiredValue(roots).Select(f => f.FullName)),
                SignerThreshold = parse.GetValue(threshold),
            };
            var result = new ManifestVerifier(policy, TimeProvider.System).Verify(FileBytes.ReadBounded(path, MaxManifestBytes));
            if (!result.IsValid)
            {
                parse.InvocationConfiguration.Error.WriteLine($"lpatch: {path}: refused [{result.Issue!.Code}]: {result.Issue.Message}");
                return ExitCodes.VerificationRefused;
            }

            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(result.Manifest!, IndentedJson.Default.Manifest));
            }
            else
            {
                WriteText(output, result.Manifest!, result.TrustedSigners);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteText(TextWriter output, Manifest m, IReadOnlyList<X509Certificate2> signers)
    {
        output.WriteLine($"valid manifest, signed by {string.Join(", ", signers.Select(s => s.Subject))}");
        output.WriteLine($"repository:     {m.Repository}");
        output.WriteLine($"channel:        {m.Channel}");
        output.WriteLine($"build id:       {m.BuildId}");
        output.WriteLine($"kernel release: {m.KernelRelease}");
        output.WriteLine($"version:        {m.Version}");
        output.WriteLine($"issued:         {m.Issued:u}");
        output.WriteLine($"expires:        {m.Expires:u}");
        output.WriteLine($"patches:        {m.Patches.Count}");
        foreach (var p in m.Patches.OrderBy(p => p.Level))
        {
            var cves = p.Cves.Count > 0 ? $" {string.Join(",", p.Cves)}" : "";
            output.WriteLine($"  {p.Name} level {p.Level}, {p.Size} bytes, sha256 {p.Sha256}{cves}");
        }

        output.WriteLine($"revoked:        {m.Revoked.Count}");
        foreach (var r in m.Revoked)
        {
            output.WriteLine($"  {r.Name} level {r.Level} at {r.RevokedAt:u}: {r.Reason}");
        }
    }
}
