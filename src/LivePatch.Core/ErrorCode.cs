using System.Collections.Concurrent;
using LivePatch.Core.Repository;

namespace LivePatch.Core;

/// <summary>A stable error code (what scripts match on) and its <see cref="ErrorCategory"/> (what it means for exit codes and HTTP).</summary>
/// <remarks>
/// Converts implicitly to its string so call sites that take a code keep working. Codes that cross the wire are made with
/// <see cref="Define"/>, which registers them for <see cref="FindOrNull"/>; no reflection, so Native AOT stays clean.
/// </remarks>
public sealed record ErrorCode(string Code, ErrorCategory Category)
{
    private static readonly ConcurrentDictionary<string, ErrorCode> Defined = new(StringComparer.Ordinal);

    public override string ToString() => Code;

    public static implicit operator string(ErrorCode error) => error.Code;

    /// <summary>Makes a code and registers it; a second definition of the same code is a bug and throws.</summary>
    public static ErrorCode Define(string code, ErrorCategory category)
    {
        var error = new ErrorCode(code, category);
        if (!Defined.TryAdd(code, error))
        {
            throw new InvalidOperationException($"Error code '{code}' is defined twice.");
        }

        return error;
    }

    /// <summary>The defined code spelled <paramref name="code"/> (Core's <see cref="ErrorCodes"/> or an API <see cref="ProblemCodes"/> code), or null.</summary>
    public static ErrorCode? FindOrNull(string code)
    {
        // Reading one field runs each defining class's static initialiser, which defines all of its codes.
        GC.KeepAlive(ErrorCodes.ElfTruncated);
        GC.KeepAlive(ProblemCodes.Unauthenticated);
        return Defined.GetValueOrDefault(code);
    }
}
