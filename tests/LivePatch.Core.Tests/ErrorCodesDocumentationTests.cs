using System.Text.RegularExpressions;
using System.Reflection;

namespace LivePatch.Core.Tests;

public sealed class ErrorCodesDocumentationTests
{
    [Fact]
    public void EveryErrorCode_IsDocumented()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "error-codes.md"));
        var codes = AllCodes().Select(c => c.Code).ToList();

        Assert.NotEmpty(codes);
        var undocumented = codes.Where(code => !doc.Contains($"`{code}`", StringComparison.Ordinal)).ToList();
        Assert.True(undocumented.Count == 0, $"Not in docs/error-codes.md: {string.Join(", ", undocumented)}");
    }

    [Fact]
    public void ErrorCodes_AreDistinct()
    {
        var codes = AllCodes().Select(c => c.Code).ToList();

        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

    [Fact]
    public void FindOrNull_EveryErrorCode_FindsTheSameCode()
    {
        foreach (var code in AllCodes())
        {
            Assert.Same(code, ErrorCode.FindOrNull(code.Code));
        }
    }

    [Fact]
    public void FindOrNull_EveryCodeInErrorCodesMd_IsFound()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "error-codes.md"));
        var section = doc[..doc.IndexOf("\n## Repository commands", StringComparison.Ordinal)];
        var missing = DocumentedCodes(section).Where(code => ErrorCode.FindOrNull(code) is null).ToList();

        Assert.True(missing.Count == 0, $"In docs/error-codes.md but unknown to ErrorCode.FindOrNull: {string.Join(", ", missing)}");
    }

    /// <summary>The codes in the first column of the document's tables: <c>| `code` |</c>.</summary>
    internal static IEnumerable<string> DocumentedCodes(string markdown) =>
        Regex.Matches(markdown, @"^\| `([a-z0-9-]+)` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Distinct();

    private static List<ErrorCode> AllCodes() =>
        typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (ErrorCode)f.GetValue(null)!).ToList();

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repository.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repository.sln not found above the test output.");
    }
}
