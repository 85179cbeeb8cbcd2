using System.Text.Json;
using LivePatch.Client.Host;
using LivePatch.Core;
using LivePatch.Core.Modules;

namespace LivePatch.Client.Updates;

/// <summary>Reads and writes <see cref="ClientState"/> atomically: temp file, fsync, rename. A crash leaves the old or the new state.</summary>
/// <remarks>A state that cannot be read stops the client with one message naming the file and <c>lpatch state reset</c>:
/// silently starting afresh would forget the versions seen and re-open rollback (docs/architecture.md, step 6).</remarks>
public sealed class StateStore(string stateDirectory)
{
    /// <summary>The command that repairs a damaged state (README "Host client").</summary>
    public const string RepairCommand = "lpatch state reset";

    /// <summary>Far above any real state (a few KB per kernel and repository); a larger file is damage, not data.</summary>
    private const int MaxStateBytes = 16 * 1024 * 1024;

    public string Path { get; } = System.IO.Path.Combine(stateDirectory, "state.json");

    /// <exception cref="ClientStateException">The file is damaged, or was written by a newer lpatch.</exception>
    public ClientState Load()
    {
        var bytes = PrivateFile.ReadBoundedOrNull(Path, MaxStateBytes);
        return bytes is null ? new ClientState() : Migrate(Parse(bytes));
    }

    /// <param name="state">The state to write.</param>
    /// <param name="durable">False when only <see cref="ClientState.LastCheck"/> changed: no fsync, the rename still makes it all-or-nothing.</param>
    public void Save(ClientState state, bool durable = true)
    {
        PrivateDirectory.Ensure(stateDirectory, "stateDirectory");
        AtomicFile.Write(Path, JsonSerializer.SerializeToUtf8Bytes(state, ClientJsonContext.Default.ClientState), AtomicFile.OwnerOnly, durable);
    }

    /// <summary>Moves a damaged state aside (kept for a post-mortem) so the next run starts afresh; returns where it went, or null.</summary>
    public string? MoveAside(TimeProvider time)
    {
        if (!File.Exists(Path) && !Directory.Exists(Path))
        {
            return null;
        }

        var aside = $"{Path}.{time.GetUtcNow():yyyyMMddTHHmmssZ}.bad";
        if (Directory.Exists(Path) && !File.GetAttributes(Path).HasFlag(FileAttributes.ReparsePoint))
        {
            Directory.Move(Path, aside); // damage of another kind: a folder where the file belongs
        }
        else
        {
            File.Move(Path, aside); // a file, or a link (moved, never followed)
        }

        DirectorySync.Flush(stateDirectory);
        return aside;
    }

    private ClientState Parse(byte[] bytes)
    {
        try
        {
            using (var document = JsonDocument.Parse(bytes))
            {
                var schema = document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("schema", out var s) && s.TryGetInt32(out var n) ? n : 1;
                if (schema > ClientState.CurrentSchema)
                {
                    throw Damaged($"was written by a newer lpatch (schema {schema}; this one reads up to {ClientState.CurrentSchema}): " +
                        $"install that version again, or run '{RepairCommand}' to start afresh");
                }
            }

            return JsonSerializer.Deserialize(bytes, ClientJsonContext.Default.ClientState) ?? throw Damaged("holds null");
        }
        catch (JsonException e)
        {
            throw Damaged($"is not a state file ({e.Message})");
        }
    }

    /// <summary>Brings an older layout to <see cref="ClientState.CurrentSchema"/>; a member written as null counts as absent.</summary>
    private ClientState Migrate(ClientState state)
    {
        // Schema 1 had no module digests, holds, revocation notices or digest map: their defaults are right (a record
        // without a digest matches on its blob hash only). Schema 2 had no coverage versions and no "not covered" record:
        // no bin was accepted before, so none can be rolled back to. Nulls come from hand edits; empty is what they meant.
        var migrated = state with
        {
            Schema = ClientState.CurrentSchema,
            Versions = state.Versions ?? [],
            Applied = state.Applied ?? [],
            Memos = state.Memos ?? [],
            Holds = state.Holds ?? [],
            Revocations = state.Revocations ?? [],
            ModuleDigests = state.ModuleDigests ?? [],
            CoverageVersions = state.CoverageVersions ?? [],
        };
        Check(migrated);
        return migrated;
    }

    private void Check(ClientState s)
    {
        foreach (var a in s.Applied)
        {
            if (a is null || !ModuleNames.IsValid(a.Name) || !IsSha256(a.Sha256) || (a.ModuleDigest is not null && !IsSha256(a.ModuleDigest))
                || string.IsNullOrEmpty(a.BuildId) || a.Cves is null)
            {
                throw Damaged("has an applied patch without a valid name, SHA-256 or build ID");
            }
        }

        if (s.Holds.Any(h => !ModuleNames.IsValid(h)) || s.Revocations.Any(r => r is null)
            || s.ModuleDigests.Any(d => !IsSha256(d.Key) || !IsSha256(d.Value)) || s.Memos.Values.Any(m => m is null))
        {
            throw Damaged("has an invalid hold, revocation, memo or module digest");
        }

        if (s.NotCovered is { } n && (n.BuildId is null || n.Release is null || n.Repository is null || n.Channel is null
            || n.Prefix is null || n.Server is null))
        {
            throw Damaged("has an incomplete \"not covered\" record");
        }
    }

    private static bool IsSha256(string? s) => s is { Length: 64 } && s.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private ClientStateException Damaged(string what) =>
        new($"{Path} {what}. '{RepairCommand}' moves it aside and starts afresh; that forgets the manifest versions seen, so run it " +
            "only when this host's repositories are the ones you trust.");
}

/// <summary>The state directory holds something lpatch cannot use: the message names the file and the repair command
/// (printed with <see cref="ClientErrorCodes.StateCorrupt"/>).</summary>
public sealed class ClientStateException(string message) : Exception(message);
