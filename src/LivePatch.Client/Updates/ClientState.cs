using System.Text.Json;
using LivePatch.Core.Trust;
using System.Text.Json.Serialization;
using LivePatch.Core;

namespace LivePatch.Client.Updates;

/// <summary>What a host remembers between runs (state.json in the state directory).</summary>
public sealed record ClientState
{
    /// <summary>The repository id pinned on first contact when the configuration names none.</summary>
    public string? RepositoryId { get; init; }

    /// <summary>Highest manifest version accepted, per "repository/channel/buildId" (rollback protection, DESIGN step 6).</summary>
    public Dictionary<string, ulong> Versions { get; init; } = [];

    /// <summary>Patches this client applied and believes loaded.</summary>
    public List<AppliedRecord> Applied { get; init; } = [];

    public CheckRecord? LastCheck { get; init; }

    /// <summary>Per "channel/buildId": proof that the last verified manifest's signature and chains held (see
    /// <see cref="SignatureMemo"/>), so an unchanged manifest on a 304 is re-verified without rebuilding the chains.</summary>
    public Dictionary<string, SignatureMemo> Memos { get; init; } = [];

    public static string VersionKey(string repository, string channel, string buildId) => $"{repository}/{channel}/{buildId}";

    public static string MemoKey(string channel, string buildId) => $"{channel}/{buildId}";
}

/// <summary>A patch the client applied: which module, level and bytes, when.</summary>
public sealed record AppliedRecord(string Name, int Level, string Sha256, string BuildId, IReadOnlyList<string> Cves, DateTimeOffset AppliedAt);

/// <summary>The last check or apply and how it ended.</summary>
public sealed record CheckRecord(DateTimeOffset At, string Outcome, string? Code, string Message, string? Repository);

/// <summary>Source-generated JSON for the client's own files (Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ClientState))]
[JsonSerializable(typeof(Host.ClientOptions))]
public sealed partial class ClientJsonContext : JsonSerializerContext;

/// <summary>Reads and writes <see cref="ClientState"/> atomically: temp file, fsync, rename. A crash leaves the old or the new state.</summary>
public sealed class StateStore(string stateDirectory)
{
    public string Path { get; } = System.IO.Path.Combine(stateDirectory, "state.json");

    public ClientState Load()
    {
        if (!File.Exists(Path))
        {
            return new ClientState();
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Path), ClientJsonContext.Default.ClientState) ?? new ClientState();
        }
        catch (JsonException e)
        {
            // A state file we cannot read must not silently reset rollback protection.
            throw new InvalidDataException($"{Path} is corrupt ({e.Message}); move it aside to start over (this forgets the versions seen).", e);
        }
    }

    /// <param name="state">The state to write.</param>
    /// <param name="durable">False when only <see cref="ClientState.LastCheck"/> changed: no fsync, the rename still makes it all-or-nothing.</param>
    public void Save(ClientState state, bool durable = true)
    {
        AtomicFile.EnsureOwnerOnlyDirectory(System.IO.Path.GetDirectoryName(Path)!);
        AtomicFile.Write(Path, JsonSerializer.SerializeToUtf8Bytes(state, ClientJsonContext.Default.ClientState), AtomicFile.OwnerOnly, durable);
    }
}
