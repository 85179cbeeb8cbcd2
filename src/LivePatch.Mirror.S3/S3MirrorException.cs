using LivePatch.Core;
using LivePatch.Core.Mirrors;

namespace LivePatch.Mirror.S3;

/// <summary>The object store refused or could not do what a mirror asked; <see cref="MirrorTargetException.Error"/> is stable
/// and categorised (<c>s3-*</c> in docs/error-codes.md) and the message, fit to print, names the location, the key and the
/// store's answer.</summary>
/// <remarks>A <see cref="MirrorTargetException"/>, so that <c>lpatch mirror sync</c> reports the <c>s3-*</c> code and its exit
/// code rather than the generic <c>mirror-target-failed</c>.</remarks>
public sealed class S3MirrorException(ErrorCode error, string message, Exception? inner = null) : MirrorTargetException(error, message, inner);
