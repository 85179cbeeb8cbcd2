namespace LivePatch.Client.Updates;

/// <summary>How a check or apply ended: what was done (or would be), the plan it followed, and the failure if any.</summary>
public sealed record UpdateResult
{
    /// <summary><c>none</c>, <c>applied</c>, <c>removed</c>, <c>would-apply</c>, <c>would-remove</c>, <c>disabled</c> or <c>failed</c>.</summary>
    public required string Action { get; init; }

    public required string Message { get; init; }

    public UpdatePlan? Plan { get; init; }

    public UpdateFailure? Failure { get; init; }

    /// <summary>Repositories that were tried and failed before one answered (or all of them).</summary>
    public IReadOnlyList<UpdateFailure> Attempts { get; init; } = [];

    public bool Succeeded => Failure is null;

    public static UpdateResult Failed(UpdateFailure failure, UpdatePlan? plan = null, IReadOnlyList<UpdateFailure>? attempts = null) =>
        new() { Action = "failed", Message = failure.ToString(), Failure = failure, Plan = plan, Attempts = attempts ?? [] };
}
