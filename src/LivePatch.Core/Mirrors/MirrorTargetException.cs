namespace LivePatch.Core.Mirrors;

/// <summary>A target's failure that knows its own stable code (an object store that refused the credentials or has no such
/// bucket): the sync reports that code, with its category and exit code, rather than <c>mirror-target-failed</c>.</summary>
/// <remarks>An <see cref="IOException"/>: failing storage is I/O, so a caller that only knows <see cref="IOException"/>
/// still reports it as unreadable input rather than a bug.</remarks>
public class MirrorTargetException(ErrorCode error, string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The stable code and its category.</summary>
    public ErrorCode Error { get; } = error;

    /// <summary>The code's spelling, what scripts match on.</summary>
    public string Code => Error.Code;
}
