namespace LivePatch.Core.Mirrors;

/// <summary>A tree in a local folder as a mirror source: another mirror's copy, a removable medium, a <c>file://</c> URL.</summary>
/// <remarks>Read as untrusted as any HTTP source: the sync verifies every byte it takes from here.</remarks>
public sealed class DirectoryMirrorSource(string root) : IMirrorSource
{
    private readonly MirrorDirectory _tree = new(root);

    public string Description => _tree.Root;

    public Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation) =>
        _tree.ReadOrNullAsync(path, maxBytes, cancellation);

    public Task<Stream?> OpenOrNullAsync(string path, CancellationToken cancellation) =>
        Task.FromResult<Stream?>(_tree.OpenOrNull(path));
}
