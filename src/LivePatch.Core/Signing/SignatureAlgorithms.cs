using System.Security.Cryptography;

namespace LivePatch.Core.Signing;

/// <summary>The OIDs of module signatures and how the kernel and kmod name them.</summary>
internal static class SignatureAlgorithms
{
    public const string SignedDataOid = "1.2.840.113549.1.7.2";
    public const string DataOid = "1.2.840.113549.1.7.1";
    public const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    public const string CommonNameOid = "2.5.4.3";
    public const string Rsa = "RSA";
    public const string Ecdsa = "ECDSA";

    // Digest OIDs and kmod's names for them (libkmod-signature.c, pkey_hash_algo[]).
    private static readonly (string Oid, string Label, HashAlgorithmName Name)[] Digests =
    [
        ("1.3.14.3.2.26", "sha1", HashAlgorithmName.SHA1),
        ("2.16.840.1.101.3.4.2.4", "sha224", new HashAlgorithmName("SHA224")),
        ("2.16.840.1.101.3.4.2.1", "sha256", HashAlgorithmName.SHA256),
        ("2.16.840.1.101.3.4.2.2", "sha384", HashAlgorithmName.SHA384),
        ("2.16.840.1.101.3.4.2.3", "sha512", HashAlgorithmName.SHA512),
        ("1.2.840.113549.2.5", "md5", HashAlgorithmName.MD5),
    ];

    // ecdsa-with-SHAxxx (RFC 5758), as crypto/asymmetric_keys/pkcs7_parser.c accepts them.
    private static readonly (string Oid, HashAlgorithmName Hash)[] EcdsaOids =
    [
        ("1.2.840.10045.4.3.2", HashAlgorithmName.SHA256),
        ("1.2.840.10045.4.3.3", HashAlgorithmName.SHA384),
        ("1.2.840.10045.4.3.4", HashAlgorithmName.SHA512),
    ];

    /// <summary>True for the digests this project accepts: SHA-256, SHA-384, SHA-512.</summary>
    public static bool IsAllowedDigest(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA256 || hash == HashAlgorithmName.SHA384 || hash == HashAlgorithmName.SHA512;

    public static (string Label, HashAlgorithmName Name) DescribeDigest(string oid)
    {
        foreach (var d in Digests)
        {
            if (d.Oid == oid)
            {
                return (d.Label, d.Name);
            }
        }
        return (oid, new HashAlgorithmName(oid));
    }

    public static string DigestOid(HashAlgorithmName hash) =>
        Array.Find(Digests, d => d.Name == hash).Oid
        ?? throw new ArgumentOutOfRangeException(nameof(hash), hash.Name, "no OID known for this digest");

    /// <summary>"RSA", "ECDSA", or the OID itself when the kernel would not know it.</summary>
    public static string DescribeSignature(string oid) =>
        oid == RsaEncryptionOid ? Rsa : Array.Exists(EcdsaOids, e => e.Oid == oid) ? Ecdsa : oid;

    /// <summary>The digest an ecdsa-with-SHAxxx OID names, or null for any other OID.</summary>
    public static HashAlgorithmName? EcdsaDigest(string oid) =>
        Array.Exists(EcdsaOids, e => e.Oid == oid) ? Array.Find(EcdsaOids, e => e.Oid == oid).Hash : null;

    public static string EcdsaOid(HashAlgorithmName hash) =>
        Array.Find(EcdsaOids, e => e.Hash == hash).Oid
        ?? throw new ArgumentOutOfRangeException(nameof(hash), hash.Name, "no ECDSA OID for this digest");
}
