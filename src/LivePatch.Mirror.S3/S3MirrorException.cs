using LivePatch.Core;

namespace LivePatch.Mirror.S3;

/// <summary>The object store refused or could not do what a mirror asked; <see cref="Error"/> is stable and categorised
/// (<c>s3-*</c> in docs/error-codes.md) and the message, fit to print, names the location, the key and the store's answer.</summary>
/// <remarks>An <see cref="IOException"/>: failing storage is I/O, so a caller that only knows <see cref="IOException"/>
/// still reports it as unreadable input rather than a bug.</remarks>
public sealed class S3MirrorException(ErrorCode error, string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The stable code and its category.</summary>
    public ErrorCode Error { get; } = error;

    /// <summary>The code's spelling, what scripts match on.</summary>
    public string Code => Error.Code;
}
