using System.Reflection;
using LivePatch.Server.Publishing;

namespace LivePatch.Server.Tests;

public sealed class ProblemCodesDocumentationTests
{
    [Fact]
    public void EveryProblemCode_IsDocumentedInApiMd()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Repository.sln")))
        {
            root = root.Parent;
        }

        var doc = File.ReadAllText(Path.Combine(root!.FullName, "docs", "api.md"));
        var codes = typeof(ProblemCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!).ToList();

        Assert.NotEmpty(codes);
        var missing = codes.Where(c => !doc.Contains($"`{c}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"Not in docs/api.md: {string.Join(", ", missing)}");
    }
}
