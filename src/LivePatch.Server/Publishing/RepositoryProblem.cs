namespace LivePatch.Server.Publishing;

/// <summary>Why a request was refused: HTTP status, stable code (docs/api.md) and a sentence a vendor can act on.</summary>
public sealed record RepositoryProblem(int Status, string Code, string Detail)
{
    public static RepositoryProblem BadRequest(string code, string detail) => new(StatusCodes.Status400BadRequest, code, detail);

    public static RepositoryProblem NotFound(string code, string detail) => new(StatusCodes.Status404NotFound, code, detail);

    public static RepositoryProblem Conflict(string code, string detail) => new(StatusCodes.Status409Conflict, code, detail);

    public static RepositoryProblem Unprocessable(string code, string detail) => new(StatusCodes.Status422UnprocessableEntity, code, detail);
}

/// <summary>The result of a write: the value, or the problem that refused it (nothing stored).</summary>
public sealed record Outcome<T>(T? Value, RepositoryProblem? Problem) where T : class
{
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(RepositoryProblem problem) => new(null, problem);
}

/// <summary>Stable problem codes of the repository API; docs/api.md explains each. Core's codes pass through unchanged.</summary>
public static class ProblemCodes
{
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string MultipartRequired = "multipart-required";
    public const string ModulePartMissing = "module-part-missing";
    public const string ModuleTooLarge = "module-too-large";
    public const string NotLivepatch = Core.ErrorCodes.ModuleNotLivepatch;
    public const string ModuleNameInvalid = "module-name-invalid";
    public const string KernelReleaseMissing = "kernel-release-missing";
    public const string KernelReleaseMismatch = "kernel-release-mismatch";
    public const string BuildIdRequired = "build-id-required";
    public const string BuildIdInvalid = "build-id-invalid";
    public const string TooManyBuildIds = "too-many-build-ids";
    public const string FormInvalid = "form-invalid";
    public const string UnknownChannel = "unknown-channel";
    public const string LevelInvalid = "level-invalid";
    public const string LevelNotIncreasing = "level-not-increasing";
    public const string LevelConflict = "level-conflict";
    public const string DuplicateModule = "duplicate-module";
    public const string CveInvalid = "cve-invalid";
    public const string SeverityInvalid = "severity-invalid";
    public const string DescriptionTooLong = "description-too-long";
    public const string PatchNotFound = "patch-not-found";
    public const string AlreadyInChannel = "already-in-channel";
    public const string PatchRevoked = "patch-revoked";
    public const string ReasonRequired = "reason-required";
    public const string InvalidHash = "invalid-hash";
    public const string BlobNotFound = "blob-not-found";
    public const string ApiKeyNotFound = "api-key-not-found";
    public const string ApiKeyInvalid = "api-key-invalid";
}
