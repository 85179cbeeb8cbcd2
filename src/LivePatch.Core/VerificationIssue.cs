namespace LivePatch.Core;

/// <summary>One reason a verification failed: a stable, categorised <see cref="Error"/> and a sentence a person can act on.</summary>
public sealed record VerificationIssue(ErrorCode Error, string Message)
{
    /// <summary>The code's spelling, what scripts match on.</summary>
    public string Code => Error.Code;

    public override string ToString() => $"{Code}: {Message}";
}
