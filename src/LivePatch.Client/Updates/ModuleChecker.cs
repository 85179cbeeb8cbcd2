using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Modules;
using LivePatch.Core.Signing;

namespace LivePatch.Client.Updates;

/// <summary>Step 9: the downloaded module is the one the manifest names, signed for this host's kernel keyring, built for this kernel.</summary>
public sealed class ModuleChecker(ModuleKeyring keyring, int maxModuleBytes)
{
    public UpdateFailure? Check(string path, ManifestPatch patch, HostKernel kernel)
    {
        ModuleFile module;
        try
        {
            // Hash and size were checked by the download; this reads ELF (relocatable), .modinfo, decompresses.
            module = ModuleFile.Load(path, maxModuleBytes);
        }
        catch (LivePatchFormatException e)
        {
            return UpdateFailure.Refused(e.Code, $"{patch.Name} level {patch.Level}: {e.Message}");
        }

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
