namespace LivePatch.Client.Updates;

/// <summary>The result of a run that loaded nothing: what the plan says was, or would be, done.</summary>
internal static class UpdateDescription
{
    public static UpdateResult Of(UpdatePlan plan, bool dryRun, IReadOnlyList<UpdateFailure> attempts)
    {
        var t = plan.Target;
        var revoked = string.Join(", ", plan.Revoked.Select(r => $"{r.Name} level {r.Level} ({r.Reason})"));
        var (action, message) = t switch
        {
            _ when plan.Revoked.Count > 0 && (t is null || plan.AlreadyApplied) =>
                (dryRun ? UpdateAction.WouldRemove : UpdateAction.Removed, $"revoked and loaded: {revoked}"),
            null when plan.Held is { } held => (UpdateAction.Held, $"{held.Name} level {held.Level} is held by 'lpatch remove'; 'lpatch unhold {held.Name}' lets it be applied again"),
            null => (UpdateAction.None, plan.Source.Manifest.Patches.Count == 0 ? "this kernel has no patches in the channel" : "no patch allowed by the policy yet"),
            _ when plan.AlreadyApplied => (UpdateAction.None, $"{t.Name} level {t.Level} is applied and current"),
            _ => (dryRun ? UpdateAction.WouldApply : UpdateAction.Applied, $"{t.Name} level {t.Level} ({t.Size} bytes{(t.Cves.Count > 0 ? ", " + string.Join(" ", t.Cves) : "")})"),
        };
        return new UpdateResult { Action = action, Message = message, Plan = plan, Attempts = attempts };
    }
}
