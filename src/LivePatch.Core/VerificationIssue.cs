namespace LivePatch.Core;

/// <summary>One reason a verification failed: a stable <see cref="Code"/> and a sentence a person can act on.</summary>
public sealed record VerificationIssue(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}
