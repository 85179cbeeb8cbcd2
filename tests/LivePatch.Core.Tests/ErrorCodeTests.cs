namespace LivePatch.Core.Tests;

public sealed class ErrorCodeTests
{
    [Fact]
    public void ImplicitString_IsTheCode()
    {
        string code = ErrorCodes.ElfBadMagic;

        Assert.Equal("elf-bad-magic", code);
        Assert.Equal("elf-bad-magic", ErrorCodes.ElfBadMagic.ToString());
    }

    [Fact]
    public void FindOrNull_UnknownCode_Null() => Assert.Null(ErrorCode.FindOrNull("no-such-code"));

    [Fact]
    public void FindOrNull_ProblemCode_FoundWithItsCategory() =>
        Assert.Equal(ErrorCategory.Invalid, ErrorCode.FindOrNull("module-name-invalid")?.Category);

    [Fact]
    public void Define_SameCodeTwice_Throws() =>
        Assert.Throws<InvalidOperationException>(() => ErrorCode.Define(ErrorCodes.ElfBadMagic.Code, ErrorCategory.Refused));

    [Fact]
    public void FormatException_CarriesErrorAndCode()
    {
        var e = new LivePatchFormatException(ErrorCodes.SignatureMissing, "unsigned");

        Assert.Same(ErrorCodes.SignatureMissing, e.Error);
        Assert.Equal("signature-missing", e.Code);
    }

    [Theory]
    [InlineData(ErrorCategory.Refused, 1, 422)]
    [InlineData(ErrorCategory.Invalid, 2, 400)]
    [InlineData(ErrorCategory.Configuration, 2, 400)]
    [InlineData(ErrorCategory.Unauthenticated, 2, 401)]
    [InlineData(ErrorCategory.Forbidden, 2, 403)]
    [InlineData(ErrorCategory.NotFound, 2, 404)]
    [InlineData(ErrorCategory.Conflict, 2, 409)]
    [InlineData(ErrorCategory.TooLarge, 2, 413)]
    [InlineData(ErrorCategory.Unreachable, 3, 502)]
    [InlineData(ErrorCategory.Loader, 4, 500)]
    [InlineData(ErrorCategory.Busy, 5, 503)]
    [InlineData(ErrorCategory.Internal, 6, 500)]
    public void Category_ExitCodeAndHttpStatus(ErrorCategory category, int exit, int status)
    {
        Assert.Equal(exit, ErrorCategories.ExitCode(category));
        Assert.Equal(status, ErrorCategories.HttpStatus(category));
    }

    [Fact]
    public void EveryCategory_HasExitCodeAndStatus()
    {
        foreach (var category in Enum.GetValues<ErrorCategory>())
        {
            Assert.InRange(ErrorCategories.ExitCode(category), 1, 6);
            Assert.InRange(ErrorCategories.HttpStatus(category), 400, 599);
        }
    }

    [Theory]
    [InlineData(422, ErrorCategory.Refused)]
    [InlineData(400, ErrorCategory.Invalid)]
    [InlineData(404, ErrorCategory.Invalid)]
    [InlineData(502, ErrorCategory.Unreachable)]
    [InlineData(500, ErrorCategory.Unreachable)]
    public void FromHttpStatus_UnknownCodes(int status, ErrorCategory expected) =>
        Assert.Equal(expected, ErrorCategories.FromHttpStatus(status));
}
