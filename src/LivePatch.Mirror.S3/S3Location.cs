using System.Net;
using LivePatch.Core;

namespace LivePatch.Mirror.S3;

/// <summary>Where in object storage a mirror's tree lives: <c>s3://BUCKET/PREFIX</c>, the bucket checked against S3's
/// naming rules and the prefix normalised to no leading or trailing slash (empty: the tree is at the bucket's root).</summary>
public sealed record S3Location
{
    public const string Scheme = "s3://";

    /// <summary>Leaves room under S3's 1,024-byte key limit for the tree's own paths (a manifest path is under 120).</summary>
    public const int MaxPrefixLength = 512;

    private S3Location(string bucket, string prefix)
    {
        Bucket = bucket;
        Prefix = prefix;
    }

    public string Bucket { get; }

    /// <summary>The folder the tree is under, without leading or trailing slash; empty for the bucket's root.</summary>
    public string Prefix { get; }

    /// <summary>True when <paramref name="text"/> is meant as an S3 location (it starts with <c>s3://</c>), valid or not.</summary>
    public static bool IsS3Url(string text) => text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>s3://BUCKET[/PREFIX]</c>; anything else throws <see cref="LivePatchFormatException"/> with
    /// <see cref="ErrorCodes.S3UrlInvalid"/> and a message naming what is wrong.</summary>
    public static S3Location Parse(string url)
    {
        Check(IsS3Url(url), $"'{url}' is not an S3 location: expected s3://BUCKET/PREFIX");
        var rest = url[Scheme.Length..];
        Check(rest.IndexOfAny(['?', '#']) < 0, $"'{url}': an S3 location has no query or fragment");
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        var bucketProblem = BucketProblemOrNull(bucket);
        Check(bucketProblem is null, $"'{url}': bucket name '{bucket}' {bucketProblem}");
        var prefixProblem = PrefixProblemOrNull(prefix);
        Check(prefixProblem is null, $"'{url}': prefix '{prefix}' {prefixProblem}");
        return new S3Location(bucket, prefix);
    }

    /// <summary>The object key of <paramref name="treePath"/> (a path of <see cref="Core.Mirrors.MirrorTree"/>).</summary>
    public string KeyOf(string treePath) => Prefix.Length == 0 ? treePath : $"{Prefix}/{treePath}";

    /// <summary>The tree path of <paramref name="key"/>, a key under this location's prefix.</summary>
    public string TreePathOf(string key) => Prefix.Length == 0 ? key : key[(Prefix.Length + 1)..];

    public override string ToString() => Prefix.Length == 0 ? $"{Scheme}{Bucket}" : $"{Scheme}{Bucket}/{Prefix}";

    /// <summary>What is wrong with <paramref name="bucket"/> under S3's general purpose bucket naming rules, or null.</summary>
    /// <remarks>docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html: 3 to 63 lowercase letters, digits,
    /// dots and hyphens, starting and ending with a letter or digit, no two adjacent dots, not an IP address, and none of
    /// the reserved prefixes and suffixes.</remarks>
    internal static string? BucketProblemOrNull(string bucket)
    {
        if (bucket.Length is < 3 or > 63)
        {
            return "must be 3 to 63 characters long";
        }

        if (!bucket.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-'))
        {
            return "may hold only lowercase letters, digits, '.' and '-'";
        }

        if (!char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1]))
        {
            return "must start and end with a letter or digit";
        }

        if (bucket.Contains("..", StringComparison.Ordinal))
        {
            return "must not hold two adjacent dots";
        }

        if (bucket.Count(c => c == '.') == 3 && IPAddress.TryParse(bucket, out _))
        {
            return "must not be an IP address";
        }

        string[] reservedPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"];
        string[] reservedSuffixes = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
        var reserved = reservedPrefixes.FirstOrDefault(p => bucket.StartsWith(p, StringComparison.Ordinal))
            ?? reservedSuffixes.FirstOrDefault(s => bucket.EndsWith(s, StringComparison.Ordinal));
        return reserved is null ? null : $"uses the reserved '{reserved}'";
    }

    /// <summary>What is wrong with a normalised <paramref name="prefix"/>, or null.</summary>
    /// <remarks>Hosts fetch the tree by URL, so each folder name is kept to characters that need no escaping in a URL
    /// path; <c>.</c> and <c>..</c> would name another folder once a web server or CDN normalises the path.</remarks>
    internal static string? PrefixProblemOrNull(string prefix)
    {
        if (prefix.Length == 0)
        {
            return null;
        }

        if (prefix.Length > MaxPrefixLength)
        {
            return $"is longer than {MaxPrefixLength} characters";
        }

        foreach (var segment in prefix.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return "has an empty, '.' or '..' folder name";
            }

            if (!segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~'))
            {
                return $"folder '{segment}' may hold only letters, digits, '-', '_', '.' and '~'";
            }
        }

        return null;
    }

    private static void Check(bool condition, string message) =>
        LivePatchFormatException.ThrowUnless(condition, ErrorCodes.S3UrlInvalid, message);
}
