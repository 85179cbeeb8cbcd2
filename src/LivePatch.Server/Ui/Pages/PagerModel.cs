namespace LivePatch.Server.Ui.Pages;

/// <summary>What <c>_Pager.cshtml</c> needs: the listing page, its filters, whether this is its first page and the cursor of
/// the next (null on the last).</summary>
public sealed record PagerModel(string Page, IReadOnlyDictionary<string, string?> Filters, bool IsFirst, string? Next)
{
    /// <summary>The route values of a link to the page after <paramref name="after"/> (the first page when null).</summary>
    public Dictionary<string, string> Values(string? after)
    {
        var values = Filters.Where(f => f.Value is not null).ToDictionary(f => f.Key, f => f.Value!, StringComparer.Ordinal);
        if (after is not null)
        {
            values["after"] = after;
        }

        return values;
    }
}
