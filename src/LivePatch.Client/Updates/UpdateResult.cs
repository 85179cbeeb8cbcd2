namespace LivePatch.Client.Updates;

/// <summary>What a check or apply did, or would do.</summary>
public enum UpdateAction
{
    /// <summary>Nothing to do: no patch for this kernel, none allowed yet, or the best one is applied.</summary>
    None,

    Applied,

    /// <summary>A revoked patch was removed.</summary>
    Removed,

    WouldApply,

    WouldRemove,

    /// <summary>The best patch is held by <c>lpatch remove</c> until <c>lpatch unhold</c>.</summary>
    Held,

    /// <summary>Automatic applying is switched off (kernel command line or disable file).</summary>
    Disabled,

    /// <summary>The repository's signed coverage bin does not list this kernel: it has no live patches for it in the channel.
    /// A success (exit 0); whatever is loaded stays as it is.</summary>
    NotCovered,

    /// <summary><c>lpatch apply --boot</c> re-applied, from the cache, the patch this host ran on this kernel before the reboot.</summary>
    BootReapplied,

    /// <summary><c>lpatch apply --boot</c> had nothing to restore: nothing was applied to this kernel before, or it is loaded.</summary>
    BootNothingToDo,

    Failed,
}

/// <summary>How a check or apply ended: what was done (or would be), the plan it followed, and the failure if any.</summary>
public sealed record UpdateResult
{
    public required UpdateAction Action { get; init; }

    public required string Message { get; init; }

    public UpdatePlan? Plan { get; init; }

    /// <summary>For <see cref="UpdateAction.NotCovered"/>: which repository said so, for which kernel, as of when.</summary>
    public NotCoveredRecord? NotCovered { get; init; }

    public UpdateFailure? Failure { get; init; }

    /// <summary>Repositories that were tried and failed before one answered (or all of them).</summary>
    public IReadOnlyList<UpdateFailure> Attempts { get; init; } = [];

    public bool Succeeded => Failure is null;

    /// <summary>The action as lpatch prints it and the state records it: <c>none</c>, <c>applied</c>, <c>would-apply</c>, …</summary>
    public string ActionName => NameOf(Action);

    public static string NameOf(UpdateAction action) => action switch
    {
        UpdateAction.WouldApply => "would-apply",
        UpdateAction.WouldRemove => "would-remove",
        UpdateAction.NotCovered => "not-covered",
        UpdateAction.BootReapplied => "boot-reapplied",
        UpdateAction.BootNothingToDo => "boot-nothing-to-do",
        _ => action.ToString().ToLowerInvariant(),
    };

    public static UpdateResult Failed(UpdateFailure failure, UpdatePlan? plan = null, IReadOnlyList<UpdateFailure>? attempts = null) =>
        new() { Action = UpdateAction.Failed, Message = failure.ToString(), Failure = failure, Plan = plan, Attempts = attempts ?? [] };
}
