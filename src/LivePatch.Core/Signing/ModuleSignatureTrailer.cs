using System.Buffers.Binary;

namespace LivePatch.Core.Signing;

/// <summary>The fixed tail of a signed module: <c>struct module_signature</c> and the magic string.</summary>
/// <remarks>include/linux/module_signature.h; checks as in kernel/module_signature.c <c>mod_check_sig()</c>.</remarks>
internal static class ModuleSignatureTrailer
{
    /// <summary>MODULE_SIG_STRING, without a terminating NUL (scripts/sign-file.c writes strlen bytes).</summary>
    public static ReadOnlySpan<byte> Magic => "~Module signature appended~\n"u8;

    /// <summary>sizeof(struct module_signature): algo, hash, id_type, signer_len, key_id_len, pad[3], sig_len.</summary>
    public const int StructLength = 12;

    public const int Length = StructLength + 28;

    /// <summary>PKEY_ID_PKCS7: the only id_type the kernel accepts.</summary>
    public const byte IdTypePkcs7 = 2;

    /// <summary>Upper bound for sig_len; sign-file's CMS for one RSA-16384 signer is about 2.5 KiB.</summary>
    public const int MaxCmsLength = 64 * 1024;

    public static bool EndsWithMagic(ReadOnlySpan<byte> module) => module.EndsWith(Magic);

    /// <summary>Returns where the CMS lies in a module that ends with the magic; throws on an inconsistent struct.</summary>
    public static (int BodyLength, int CmsLength) Parse(ReadOnlySpan<byte> module)
    {
        int withoutMagic = module.Length - Magic.Length;
        LivePatchFormatException.ThrowUnless(withoutMagic >= StructLength, ErrorCodes.SignatureTruncated,
            $"module signature: {withoutMagic} bytes before the magic, fewer than the {StructLength}-byte struct module_signature");
        var ms = module.Slice(withoutMagic - StructLength, StructLength);
        int structOffset = withoutMagic - StructLength;

        // mod_check_sig(): id_type first (-ENOPKG), then the fields PKCS#7 leaves zero (-EBADMSG).
        LivePatchFormatException.ThrowUnless(ms[2] == IdTypePkcs7, ErrorCodes.SignatureIdTypeUnsupported,
            $"module signature: id_type {ms[2]} at offset {structOffset + 2}, expected {IdTypePkcs7} (PKCS#7)");
        int nonZero = ms[..8].IndexOfAnyExcept((byte)0);
        LivePatchFormatException.ThrowUnless(nonZero == 2 && ms[3..8].IndexOfAnyExcept((byte)0) < 0,
            ErrorCodes.SignatureTrailerInvalid,
            $"module signature: algo, hash, signer_len, key_id_len and pad at offset {structOffset} must be zero for PKCS#7");

        uint sigLen = BinaryPrimitives.ReadUInt32BigEndian(ms[8..]);
        LivePatchFormatException.ThrowUnless(sigLen <= MaxCmsLength, ErrorCodes.SignatureTrailerInvalid,
            $"module signature: sig_len {sigLen} at offset {structOffset + 8} exceeds the limit of {MaxCmsLength}");
        // mod_check_sig(): sig_len must leave at least one module byte before the signature.
        LivePatchFormatException.ThrowUnless(sigLen < structOffset, ErrorCodes.SignatureTruncated,
            $"module signature: sig_len {sigLen} at offset {structOffset + 8} does not fit in the {structOffset} bytes before the struct");
        return (structOffset - (int)sigLen, (int)sigLen);
    }

    /// <summary>Writes struct module_signature for a CMS of <paramref name="cmsLength"/> bytes, then the magic.</summary>
    public static void Write(Span<byte> destination, int cmsLength)
    {
        destination[..StructLength].Clear();
        destination[2] = IdTypePkcs7;
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..StructLength], (uint)cmsLength);
        Magic.CopyTo(destination[StructLength..]);
    }
}
