using LivePatch.Client;
using LivePatch.Client.Mirrors;
using LivePatch.Core;
using LivePatch.Core.Mirrors;
using LivePatch.Mirror.S3;

namespace LivePatch.Cli.Commands;

/// <summary>Turns <c>--from</c> and <c>--to</c> into a mirror source and target: the one place that knows which strings
/// name which kind.</summary>
internal static class MirrorEndpoints
{
    /// <summary>How long one document's or blob's body may take once its headers arrived.</summary>
    private static readonly TimeSpan BodyTimeout = TimeSpan.FromMinutes(5);

    /// <summary>A repository server or static mirror over http(s), or a tree in a folder (a path or <c>file:///path</c>).</summary>
    public static (IMirrorSource Source, IDisposable? Owner) OpenSource(string from, TimeSpan retryDelay)
    {
        if (Uri.TryCreate(from, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            var client = RepositoryClient.Create(new RepositoryClientOptions { Server = url, RetryDelay = retryDelay });
            return (new HttpMirrorSource(client, BodyTimeout), client);
        }

        var folder = LocalFolder(from, "--from");
        if (!Directory.Exists(folder))
        {
            throw new LivePatchFormatException(ErrorCodes.MirrorSourceUnreachable, $"--from {from}: no such folder (not mounted?).");
        }

        return (new DirectoryMirrorSource(folder), null);
    }

    /// <summary>The target named by <c>--to</c>: <c>s3://BUCKET/PREFIX</c> (endpoint, region and credentials from the standard
    /// AWS settings, docs/mirrors.md), or a folder (a path or <c>file:///path</c>), created if missing.</summary>
    public static IMirrorTarget OpenTarget(string to)
    {
        if (S3Location.IsS3Url(to))
        {
            return S3MirrorTarget.Create(to);
        }

        var folder = LocalFolder(to, "--to");
        Directory.CreateDirectory(folder);
        return DirectoryMirrorTarget.Locked(folder); // one writer per folder: the second of two at once exits 5
    }

    /// <summary>A path, or the path of a <c>file:///</c> URL; any other URL scheme is a usage error.</summary>
    private static string LocalFolder(string value, string option)
    {
        if (value.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            return Uri.TryCreate(value, UriKind.Absolute, out var file) && file.IsFile && string.IsNullOrEmpty(file.Host)
                ? file.LocalPath
                : throw new LivePatchFormatException(ErrorCodes.MirrorTargetUnsupported, $"{option} {value}: not a file:///path URL.");
        }

        if (value.Contains("://", StringComparison.Ordinal))
        {
            throw new LivePatchFormatException(ErrorCodes.MirrorTargetUnsupported,
                $"{option} {value}: not a kind this command reads or writes (http(s):// for --from, s3:// for --to, a folder or file:///path for both).");
        }

        return Path.GetFullPath(value);
    }
}
