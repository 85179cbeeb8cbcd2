using System.Reflection;

namespace LivePatch.Core.Tests;

public sealed class ErrorCodesDocumentationTests
{
    [Fact]
    public void EveryErrorCode_IsDocumented()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "error-codes.md"));
        var codes = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

        Assert.NotEmpty(codes);
        var undocumented = codes.Where(code => !doc.Contains($"`{code}`", StringComparison.Ordinal)).ToList();
        Assert.True(undocumented.Count == 0, $"Not in docs/error-codes.md: {string.Join(", ", undocumented)}");
    }

    [Fact]
    public void ErrorCodes_AreDistinct()
    {
        var codes = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => f.GetRawConstantValue()).ToList();

        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

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
