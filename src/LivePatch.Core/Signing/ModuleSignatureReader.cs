namespace LivePatch.Core.Signing;

/// <summary>Finds and parses the signature the kernel's sign-file appends to a module.</summary>
/// <remarks>Layout and checks: docs/module-signature.md; kernel/module/signing.c <c>module_sig_check()</c>.</remarks>
public static class ModuleSignatureReader
{
    /// <summary>True when the module ends with the magic "~Module signature appended~\n".</summary>
    public static bool IsSigned(ReadOnlySpan<byte> module) => ModuleSignatureTrailer.EndsWithMagic(module);

    /// <summary>Parses the appended signature; null when the module is unsigned.</summary>
    /// <exception cref="LivePatchFormatException">The trailer or the CMS is malformed.</exception>
    public static ModuleSignatureInfo? ReadOrNull(ReadOnlySpan<byte> module)
    {
        if (!IsSigned(module))
        {
            return null;
        }
        var (bodyLength, cmsLength) = ModuleSignatureTrailer.Parse(module);
        // Copied so the result outlives the caller's buffer; the length is bounded by MaxCmsLength.
        byte[] cms = module.Slice(bodyLength, cmsLength).ToArray();
        return ModuleCmsReader.Parse(cms, bodyLength);
    }
}
