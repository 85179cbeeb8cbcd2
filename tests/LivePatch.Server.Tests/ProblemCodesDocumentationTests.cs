using System.Reflection;
using System.Text.RegularExpressions;
using LivePatch.Core;
using LivePatch.Core.Repository;

namespace LivePatch.Server.Tests;

public sealed class ProblemCodesDocumentationTests
{
    [Fact]
    public void EveryProblemCode_IsDocumentedInApiMd()
    {
        var doc = ApiMd();
        var codes = ProblemCodeFields().Select(c => c.Code).ToList();

        Assert.NotEmpty(codes);
        var missing = codes.Where(c => !doc.Contains($"`{c}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"Not in docs/api.md: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryCodeInApiMdTable_IsFoundWithTheDocumentedStatus()
    {
        var rows = Regex.Matches(ApiMd(), @"^\| `([a-z0-9-]+)` \| (\d{3}) \|", RegexOptions.Multiline);

        Assert.NotEmpty(rows);
        foreach (Match row in rows)
        {
            var error = ErrorCode.FindOrNull(row.Groups[1].Value);
            Assert.True(error is not null, $"docs/api.md names {row.Groups[1].Value}, unknown to ErrorCode.FindOrNull");
            Assert.Equal(int.Parse(row.Groups[2].Value), ErrorCategories.HttpStatus(error.Category));
        }
    }

    private static List<ErrorCode> ProblemCodeFields() =>
        typeof(ProblemCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (ErrorCode)f.GetValue(null)!).ToList();

    private static string ApiMd()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Repository.sln")))
        {
            root = root.Parent;
        }

        return File.ReadAllText(Path.Combine(root!.FullName, "docs", "api.md"));
    }
}
