namespace LivePatch.Core.Manifests;

/// <summary>The expiry and issue-time rule shared by manifests and indexes (TUF freeze attack).</summary>
internal static class Freshness
{
    public static VerificationIssue? Check(
        DateTimeOffset issued, DateTimeOffset expires, DateTimeOffset now, TimeSpan maxSkew,
        ErrorCode expiredCode, ErrorCode futureCode, string what)
    {
        if (expires <= now)
        {
            return new(expiredCode, $"{what} expired at {expires:O} (now {now:O}).");
        }

        // Skew tolerates a host clock slightly behind the signer's, not a manifest from the future.
        if (issued > now + maxSkew)
        {
            return new(futureCode, $"{what} is issued at {issued:O}, beyond the allowed clock skew of {maxSkew} (now {now:O}).");
        }

        return null;
    }
}
