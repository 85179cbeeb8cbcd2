using LivePatch.Core;

namespace LivePatch.Server.Publishing;

/// <summary>Why a request was refused: a stable, categorised code (docs/api.md) and a sentence a vendor can act on.</summary>
/// <remarks>The HTTP status is the code's category's (<see cref="ErrorCategories.HttpStatus"/>), never chosen per call site.</remarks>
public sealed record RepositoryProblem(ErrorCode Error, string Detail)
{
    public int Status => ErrorCategories.HttpStatus(Error.Category);

    public string Code => Error.Code;
}

/// <summary>The result of a write: the value, or the problem that refused it (nothing stored).</summary>
public sealed record Outcome<T>(T? Value, RepositoryProblem? Problem) where T : class
{
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(RepositoryProblem problem) => new(null, problem);
}
