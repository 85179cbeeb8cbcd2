using System.Globalization;
using LivePatch.Core.Manifests;
using LivePatch.Core.Mirrors;
using LivePatch.Server.Api;
using LivePatch.Server.Configuration;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Mirror;

/// <summary>The files of the mirror tree: opened only by tree paths built from validated names (<see cref="MirrorTree"/>),
/// and given out only when the file actually opened lies under the tree.</summary>
/// <remarks>Nothing is cached: every request opens its file, so a tree that a sync updates underneath (files replaced by
/// rename) is served fresh from the first request after the rename, and a reader holding the old file keeps reading it
/// whole. A signed document is read whole anyway (a few KiB; at most <see cref="MaxSignedDocumentBytes"/>), so its ETag
/// is hashed from the bytes served, with no cache that could go stale.</remarks>
public sealed class MirrorFiles
{
    /// <summary>Manifests and coverage bins: hosts' default <c>maxManifestBytes</c> (1 MiB), above which the repository
    /// signs none (<see cref="RepositoryOptions.MaxManifestBytesLimit"/> leaves 64 KiB of it to the signature).</summary>
    public const int MaxSignedDocumentBytes = 1024 * 1024;

    /// <summary>The index: at most <see cref="ManifestLimits.MaxIndexBins"/> entries of well under 256 bytes each.</summary>
    public const int MaxIndexBytes = ManifestLimits.MaxIndexBins * 256;

    /// <summary>Symbolic links resolved while finding the tree's real root; realpath(3) stops at 40 as well.</summary>
    private const int MaxLinkDepth = 40;

    /// <summary>Linux names each open file descriptor here, as a link to the file it opened (proc(5)).</summary>
    private const string OpenedFiles = "/proc/self/fd";

    private static readonly bool HasOpenedFiles = Directory.Exists(OpenedFiles);
    private volatile string _realRoot;
    private readonly ILogger<MirrorFiles> _logger;

    public MirrorFiles(IOptions<MirrorOptions> options, ILogger<MirrorFiles> logger)
    {
        Root = options.Value.FullRoot();
        _realRoot = RealPath(Root);
        _logger = logger;
    }

    /// <summary>The tree's root as configured, made absolute.</summary>
    public string Root { get; }

    /// <summary>True when the tree has the coverage bins of <paramref name="channel"/> (a channel a sync copied).</summary>
    public bool HasChannel(string channel) => ReadNames.IsChannel(channel) && Directory.Exists(ChannelFolder(channel));

    /// <summary>The channels whose coverage bins the tree holds, for the <c>unknown-channel</c> answer.</summary>
    public IReadOnlyList<string> Channels()
    {
        var coverage = Path.Combine(Root, "v1", "coverage"); // the folder of MirrorTree.CoveragePath's channel folders
        return Directory.Exists(coverage)
            ? [.. Directory.EnumerateDirectories(coverage).Select(d => Path.GetFileName(d)).Where(ReadNames.IsChannel).Order(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>The bytes of the signed document at <paramref name="treePath"/>, or null when the tree has none.</summary>
    /// <exception cref="InvalidDataException">The file is larger than <paramref name="maxBytes"/>: no document the repository
    /// signs, and not read.</exception>
    public async Task<byte[]?> ReadOrNullAsync(string treePath, int maxBytes, CancellationToken cancellation)
    {
        await using var file = OpenOrNull(treePath);
        if (file is null)
        {
            return null;
        }

        // The length of the file opened (fstat): a rename over it meanwhile replaces the name, not what this reads.
        if (file.Length > maxBytes)
        {
            throw new InvalidDataException($"{treePath} in the mirror tree {Root} is {file.Length} bytes, more than the {maxBytes} a signed document may be.");
        }

        var bytes = new byte[file.Length];
        await file.ReadExactlyAsync(bytes, cancellation);
        return bytes;
    }

    /// <summary>The file at <paramref name="treePath"/> opened for reading, or null when there is none, it is a directory,
    /// or what was opened lies outside the tree (a symbolic link leaving it: logged).</summary>
    public FileStream? OpenOrNull(string treePath)
    {
        var path = FullPath(treePath);
        if (Directory.Exists(path))
        {
            return null;
        }

        FileStream? file;
        try
        {
            // O_NONBLOCK, and only what can seek: a FIFO in the tree must not hold a request thread forever.
            file = TreeFileOpener.OpenOrNull(path, treePath);
        }
        catch (IOException e)
        {
            _logger.LogWarning("Refused {Path}: {Reason}", treePath, e.Message);
            return null;
        }

        if (file is null)
        {
            return null;
        }

        if (!IsUnderTree(file, path))
        {
            _logger.LogWarning("Refused {Path}: it resolves outside the mirror tree {Root} (a symbolic link?)", treePath, Root);
            file.Dispose();
            return null;
        }

        return file;
    }

    private string ChannelFolder(string channel) => Path.GetDirectoryName(FullPath(MirrorTree.CoveragePath(channel, "00")))!;

    /// <summary>Names are validated before a tree path is built; this holds even if one were not.</summary>
    private string FullPath(string treePath)
    {
        var path = Path.GetFullPath(Path.Combine(Root, treePath));
        return path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"'{treePath}' is not a path inside the mirror tree.", nameof(treePath));
    }

    /// <summary>On Linux, the path of the file the descriptor opened, as the kernel resolved it: no link swapped in between
    /// a check and the open can get past this. Elsewhere, the path resolved just after the open.</summary>
    private bool IsUnderTree(FileStream file, string path)
    {
        var opened = HasOpenedFiles
            ? new FileInfo($"{OpenedFiles}/{file.SafeFileHandle.DangerousGetHandle().ToString(CultureInfo.InvariantCulture)}").LinkTarget
            : RealPath(path);
        if (opened is null || IsUnder(opened, _realRoot))
        {
            return opened is not null;
        }

        // The root itself may have moved since: a symbolic link switched to a freshly synced tree. Resolved again, once.
        _realRoot = RealPath(Root);
        return IsUnder(opened, _realRoot);
    }

    private static bool IsUnder(string path, string root) => path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The path with every symbolic link in it resolved, as realpath(3) does (missing parts are kept as they are).</summary>
    internal static string RealPath(string path, int depth = 0)
    {
        if (depth > MaxLinkDepth)
        {
            throw new IOException($"Too many levels of symbolic links in {path}.");
        }

        var full = Path.GetFullPath(path);
        var resolved = Path.GetPathRoot(full)!;
        foreach (var part in full[resolved.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(resolved, part);
            resolved = new FileInfo(next).LinkTarget is { } target ? RealPath(Path.GetFullPath(target, resolved), depth + 1) : next;
        }

        return resolved;
    }
}
