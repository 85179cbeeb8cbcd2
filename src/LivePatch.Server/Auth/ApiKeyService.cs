using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using LivePatch.Server.Configuration;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Auth;

/// <summary>Who presented an API key: its id (<see cref="ApiKeyService.FindOrNull"/> finds it again), name and role.</summary>
public sealed record ApiKeyIdentity(string Id, string Name, string Role);

/// <summary>Creates, checks and removes API keys. Keys look like <c>lpk_&lt;id&gt;_&lt;secret&gt;</c>; only SHA-256 of the whole key is stored.</summary>
/// <remarks>
/// The secret has 256 random bits, so a fast hash is enough (a slow password hash guards low-entropy secrets).
/// Comparison is <see cref="CryptographicOperations.FixedTimeEquals"/>, and an unknown id costs the same hash and compare.
/// <para>The stored keys are read once and kept in memory (a few per vendor), replaced under the writer lock with every
/// create and delete: a request's authentication reads no database page and parses no query (a LiteDB lookup by id did
/// both, about a twentieth of a single publish's CPU), and a flood of made-up keys costs a hash each, nothing more. The
/// server is the only process that opens the database while it runs.</para>
/// </remarks>
public sealed partial class ApiKeyService(RepositoryDatabase db, IOptions<RepositoryOptions> options, TimeProvider time)
{
    /// <summary>What a key's name may be: it is logged with every publish and shown to authenticated readers.</summary>
    public const string NameRule = "1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '@', '-'";

    private const string Prefix = "lpk_";
    private static readonly byte[] NoKey = new byte[32];
    private readonly Lock _writer = new(); // the last-admin check and the delete are one step; every change of _stored

    /// <summary>The <c>apikeys</c> collection as of the last change, by id; null until first read.</summary>
    private FrozenDictionary<string, ApiKeyDocument>? _stored;

    private FrozenDictionary<string, ApiKeyDocument> Stored => Volatile.Read(ref _stored) ?? Load();

    public ApiKeyInfo Create(string name, string role)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var key = $"{Prefix}{id}_{secret}";
        var doc = new ApiKeyDocument { Id = id, Name = name, Role = role, SecretHash = Hash(key), CreatedMs = time.GetUtcNow().ToUnixTimeMilliseconds() };
        lock (_writer)
        {
            db.ApiKeys.Insert(doc);
            Replace(Stored.Values.Append(doc));
        }

        db.FlushLog(); // the new key works after a power cut too
        return ToInfo(doc) with { Secret = key };
    }

    public ApiKeyIdentity? Authenticate(string presented)
    {
        var hash = Hash(presented);
        foreach (var configured in options.Value.ApiKeys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, Convert.FromHexString(configured.Sha256)))
            {
                return Identity(configured);
            }
        }

        var doc = IdOf(presented) is { } id ? Stored.GetValueOrDefault(id) : null;
        var matches = CryptographicOperations.FixedTimeEquals(hash, doc?.SecretHash ?? NoKey);
        return matches && doc is not null ? Identity(doc) : null;
    }

    /// <summary>The key with this id as it is now, or null when it no longer exists (deleted, or taken out of the
    /// configuration): what a dashboard session checks on every request, holding the id but never the key.</summary>
    public ApiKeyIdentity? FindOrNull(string id)
    {
        if (options.Value.ApiKeys.FirstOrDefault(k => k.Id == id) is { } configured)
        {
            return Identity(configured);
        }

        return id.StartsWith(ConfiguredApiKey.IdPrefix, StringComparison.Ordinal) ? null
            : Stored.GetValueOrDefault(id) is { } doc ? Identity(doc) : null;
    }

    public IReadOnlyList<ApiKeyInfo> List() => Stored.Values.OrderBy(k => k.CreatedMs).ThenBy(k => k.Id, StringComparer.Ordinal).Select(ToInfo).ToList();

    /// <summary>Deletes a key; refuses an unknown id, and the last admin key (nobody could manage keys after it).</summary>
    public RepositoryProblem? Delete(string id)
    {
        lock (_writer)
        {
            if (Stored.GetValueOrDefault(id) is not { } doc)
            {
                return new RepositoryProblem(ProblemCodes.ApiKeyNotFound, "There is no API key with that id.");
            }

            var otherAdmins = options.Value.ApiKeys.Any(k => k.Role == RepositoryRoles.Admin)
                || Stored.Values.Any(k => k.Role == RepositoryRoles.Admin && k.Id != id);
            if (doc.Role == RepositoryRoles.Admin && !otherAdmins)
            {
                return new RepositoryProblem(ProblemCodes.LastAdminKey,
                    "This is the last admin key: create another admin key first (a restart does not make a new one while an admin key exists).");
            }

            db.ApiKeys.Delete(id);
            Replace(Stored.Values.Where(k => k.Id != id)); // refused from now on, before the flush
            db.FlushLog(); // a deleted key stays deleted after a power cut
            return null;
        }
    }

    private FrozenDictionary<string, ApiKeyDocument> Load()
    {
        lock (_writer)
        {
            return _stored ??= db.ApiKeys.FindAll().ToFrozenDictionary(k => k.Id, StringComparer.Ordinal);
        }
    }

    private void Replace(IEnumerable<ApiKeyDocument> keys) =>
        Volatile.Write(ref _stored, keys.ToFrozenDictionary(k => k.Id, StringComparer.Ordinal));

    /// <summary>The id a presented key claims (<c>lpk_&lt;id&gt;_…</c>), when it is one this service could have made (12 hex
    /// digits); never any part of the secret. For the audit of a refused key: which key someone tried.</summary>
    public static string? ClaimedIdOrNull(string presented) =>
        IdOf(presented) is { Length: 12 } id && id.All(char.IsAsciiHexDigitLower) ? id : null;

    /// <summary>Whether <paramref name="name"/> follows <see cref="NameRule"/>: printable, so no name can forge a log line.</summary>
    public static bool IsValidName(string? name) => name is not null && KeyName().IsMatch(name);

    public bool HasAdmin() =>
        options.Value.ApiKeys.Any(k => k.Role == RepositoryRoles.Admin) || Stored.Values.Any(k => k.Role == RepositoryRoles.Admin);

    /// <summary>SHA-256 (hex) of a whole key, for the ApiKeys configuration section.</summary>
    public static string HashForConfiguration(string key) => Convert.ToHexStringLower(Hash(key));

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex KeyName();

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static string? IdOf(string key) =>
        key.StartsWith(Prefix, StringComparison.Ordinal) && key.IndexOf('_', Prefix.Length) is var end and > 0 ? key[Prefix.Length..end] : null;

    private static ApiKeyIdentity Identity(ConfiguredApiKey key) => new(key.Id, key.Name, key.Role);

    private static ApiKeyIdentity Identity(ApiKeyDocument doc) => new(doc.Id, doc.Name, doc.Role);

    private static ApiKeyInfo ToInfo(ApiKeyDocument doc) => new()
    {
        Id = doc.Id,
        Name = doc.Name,
        Role = doc.Role,
        Created = DateTimeOffset.FromUnixTimeMilliseconds(doc.CreatedMs),
    };
}
