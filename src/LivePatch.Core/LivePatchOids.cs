namespace LivePatch.Core;

/// <summary>Object identifiers minted by the project under the <c>2.25.</c> UUID arc (ITU-T X.667).</summary>
/// <remarks>
/// Each value is <c>2.25.</c> followed by the decimal form of a random (version 4) UUID, minted once;
/// docs/manifests.md lists the UUIDs. Never change or reuse a value: signed data in the field depends on it.
/// </remarks>
public static class LivePatchOids
{
    /// <summary>eContentType of a signed manifest (UUID 752765a1-c40c-472b-8a7b-e2260ceaef4e).</summary>
    public const string ManifestContentType = "2.25.155724236424096054148557392629493067598";

    /// <summary>
    /// eContentType of a signed repository index (UUID 4d085c4c-441e-4836-9892-0f4a53be810f); distinct from
    /// <see cref="ManifestContentType"/> so that an index can never be replayed as a manifest or the reverse.
    /// </summary>
    public const string RepositoryIndexContentType = "2.25.102393966074412277332334764464248094991";

    /// <summary>
    /// eContentType of a signed coverage bin (UUID a3cdd02c-4585-4f7d-b743-7623ee30871d); distinct from the manifest's
    /// and the index's, so that none of the three can be replayed as another.
    /// </summary>
    public const string CoverageBinContentType = "2.25.217732806417693265319930577484371756829";

    /// <summary>Extended key usage a certificate needs to sign manifests and indexes (UUID 1614997a-f0cf-4035-ac06-3eb597137519).</summary>
    public const string ManifestSigningEku = "2.25.29349974793470984425589463865600734489";

    /// <summary>id-kp-codeSigning (RFC 5280 §4.2.1.12), carried by module signing certificates like the kernel's x509.genkey.</summary>
    public const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";
}
