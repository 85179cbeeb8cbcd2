using LivePatch.Client.Reports;
using LivePatch.Client.Tests.Host;

namespace LivePatch.Client.Tests.Reports;

/// <summary>The reporter key file: only a private regular file of lpatch's own user is read; every other kind is refused.</summary>
public sealed class ReportTokenTests : IDisposable
{
    private const string Key = "lpk_0123456789ab_secret-part";

    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-token-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Read_PrivateFile_KeyWithoutNewline()
    {
        Assert.Equal(Key, ReportToken.Read(Write(Key + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite)));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.OtherWrite)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupWrite)]
    public void Read_GroupOrOthersMayReadOrWrite_RefusedWithTheFix(UnixFileMode mode)
    {
        var path = Write(Key, mode);

        var refused = Assert.Throws<ReportRefusedException>(() => ReportToken.Read(path));

        Assert.Equal("report-token-invalid", refused.Code.Code);
        Assert.Contains($"chmod 600 {path}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SymbolicLinkToAPrivateFile_Refused()
    {
        var target = Write(Key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var link = Path.Combine(_root, "link");
        File.CreateSymbolicLink(link, target);

        Assert.Contains("symbolic link", Assert.Throws<ReportRefusedException>(() => ReportToken.Read(link)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ForeignOwner_Refused()
    {
        var path = Write(Key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        HostFiles.GiveToForeignUser(path);

        Assert.Contains($"uid {HostFiles.ForeignUid}", Assert.Throws<ReportRefusedException>(() => ReportToken.Read(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Fifo_RefusedAtOnce()
    {
        var path = Path.Combine(_root, "fifo");
        HostFiles.MakeFifo(path);

        Assert.Contains("FIFO", Assert.Throws<ReportRefusedException>(() => ReportToken.Read(path)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("lpk with spaces")]
    [InlineData("lpk_\u001b[2J")]
    public void Read_NotAKey_Refused(string content)
    {
        var path = Write(content, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Throws<ReportRefusedException>(() => ReportToken.Read(path));
    }

    [Fact]
    public void Read_LargerThanAnyKey_Refused()
    {
        var path = Write(new string('k', ReportToken.MaxBytes + 1), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Contains("larger", Assert.Throws<ReportRefusedException>(() => ReportToken.Read(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Missing_RefusedNamingIt()
    {
        var path = Path.Combine(_root, "absent");

        Assert.Contains($"{path} does not exist", Assert.Throws<ReportRefusedException>(() => ReportToken.Read(path)).Message, StringComparison.Ordinal);
    }

    private string Write(string content, UnixFileMode mode)
    {
        var path = Path.Combine(_root, $"token-{Guid.NewGuid():N}");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }
}
