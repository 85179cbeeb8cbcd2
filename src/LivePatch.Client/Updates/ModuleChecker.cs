using System.Security.Cryptography;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Modules;
using LivePatch.Core.Signing;

namespace LivePatch.Client.Updates;

/// <summary>A module that passed step 9: the decompressed bytes that were checked (what the kernel will load) and their digest.</summary>
/// <param name="Patch">The manifest's entry for it.</param>
/// <param name="Plain">The decompressed module with its appended signature: the bytes whose signature, name, vermagic and
/// <c>livepatch=Y</c> were checked. The loader is given a file written from exactly these bytes.</param>
/// <param name="Digest">SHA-256 of <paramref name="Plain"/>, lowercase hex: the module's identity for the crash-loop guard,
/// "already applied" and revocations, whatever container it was served in.</param>
public sealed record VerifiedModule(ManifestPatch Patch, ReadOnlyMemory<byte> Plain, string Digest);

/// <summary>Step 9: the downloaded module is the one the manifest names, signed for this host's kernel keyring, built for this kernel.</summary>
public sealed class ModuleChecker(ModuleKeyring keyring, int maxModuleBytes)
{
    public (VerifiedModule? Module, UpdateFailure? Failure) Check(DownloadedModule downloaded, HostKernel kernel)
    {
        var patch = downloaded.Patch;
        ModuleFile module;
        try
        {
            // Hash and size were checked by the download; this reads ELF (relocatable), .modinfo, decompresses.
            module = ModuleFile.Read(downloaded.Bytes, maxModuleBytes);
        }
        catch (LivePatchFormatException e)
        {
            return (null, UpdateFailure.Refused(e.Error, $"{patch.Name} level {patch.Level}: {e.Message}"));
        }

        return CheckModule(module, patch, kernel) is { } refused
            ? (null, refused)
            : (new VerifiedModule(patch, module.Bytes, Convert.ToHexStringLower(SHA256.HashData(module.Bytes.Span))), null);
    }

    private UpdateFailure? CheckModule(ModuleFile module, ManifestPatch patch, HostKernel kernel)
    {
        var signature = new ModuleVerifier(keyring).Verify(module.Bytes.Span);
        if (!signature.IsValid)
        {
            return UpdateFailure.Refused(signature.Issue!);
        }

        if (signature.Signature!.KeyId != patch.Signer)
        {
            return UpdateFailure.Refused(ClientErrorCodes.ModuleSignerMismatch,
                $"{patch.Name} level {patch.Level} is signed by key {signature.Signature.KeyId}, the manifest names {patch.Signer}.");
        }

        if (!module.Info.IsLivepatch)
        {
            return UpdateFailure.Refused(ErrorCodes.ModuleNotLivepatch, $"{patch.Name} level {patch.Level} has no livepatch=Y in .modinfo.");
        }

        if (module.Info.Name != patch.Name)
        {
            return UpdateFailure.Refused(ClientErrorCodes.ModuleNameMismatch, $"The module is named '{module.Info.Name}', the manifest says '{patch.Name}'.");
        }

        return module.Info.KernelRelease == kernel.Release ? null : UpdateFailure.Refused(ClientErrorCodes.ModuleKernelMismatch,
            $"{patch.Name} level {patch.Level} was built for {module.Info.KernelRelease} (vermagic); this host runs {kernel.Release}.");
    }
}
