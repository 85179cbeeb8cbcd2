using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Server.Configuration;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Manifests;

/// <summary>The signed repository index for mirrors: rendered lazily when manifests changed or it nears expiry.</summary>
/// <remarks>With 100 000 kernels the index is megabytes; rendering it on every publish would make bulk publishing quadratic.</remarks>
public sealed class IndexService(RepositoryDatabase db, ManifestService manifests, RepositoryKeys keys, IOptions<RepositoryOptions> options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private ServedDocument? _current;
    private long _renderedAtChange = -1;

    public ServedDocument Get()
    {
        lock (_gate)
        {
            if (_current is null || _renderedAtChange != manifests.ChangeCount || manifests.NeedsResigning(_current))
            {
                _renderedAtChange = manifests.ChangeCount;
                _current = Render();
            }

            return _current;
        }
    }

    private ServedDocument Render()
    {
        var issued = time.GetUtcNow();
        var index = new RepositoryIndex
        {
            Schema = RepositoryIndex.CurrentSchema,
            Repository = options.Value.RepositoryId,
            Version = (ulong)db.InTransaction(db.NextVersion),
            Issued = issued,
            Expires = issued + options.Value.ManifestLifetime,
            Manifests = manifests.All()
                .OrderBy(m => m.Channel, StringComparer.Ordinal).ThenBy(m => m.BuildId, StringComparer.Ordinal)
                .Select(m => new IndexEntry { Channel = m.Channel, BuildId = m.BuildId, Version = (ulong)m.Document.Version, Sha256 = m.Document.Sha256, Size = m.Document.Bytes.Length })
                .ToList(),
        };
        var signed = keys.DocumentSigner.Sign(ManifestSerializer.Serialize(index), LivePatchOids.RepositoryIndexContentType, issued);
        return new ServedDocument(signed, (long)index.Version, index.Expires);
    }
}
