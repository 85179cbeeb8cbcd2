using System.Text;
using LivePatch.Core.Modules;

namespace LivePatch.Core.Tests.Modules;

public sealed class ModInfoTests
{
    [Theory]
    [InlineData("lp_sample.ko")]
    [InlineData("plain.ko")]
    public void Parse_FixtureModule_AgreesWithModinfo(string file)
    {
        var info = ModuleFile.Read(FixtureFiles.Bytes("modules", file)).Info;

        Assert.Equal(FixtureFiles.Modinfo(file, "name"), info.Name);
        Assert.Equal(FixtureFiles.Modinfo(file, "vermagic"), info.Vermagic?.Trim());
        Assert.Equal(FixtureFiles.Modinfo(file, "license"), info.License);
        Assert.Equal(FixtureFiles.Modinfo(file, "description"), info.Description);
        Assert.Equal(FixtureFiles.Modinfo(file, "livepatch") == "Y", info.IsLivepatch);
    }

    [Fact]
    public void KernelRelease_IsFirstWordOfVermagic()
    {
        var info = ModuleFile.Read(FixtureFiles.Bytes("modules", "lp_sample.ko")).Info;

        Assert.Equal(FixtureFiles.Modinfo("lp_sample.ko", "vermagic")!.Split(' ')[0], info.KernelRelease);
    }

    [Fact]
    public void Parse_PaddingAndRepeatedKeys_KeepsEveryEntryInOrder()
    {
        var info = ModInfo.Parse(Encoding.UTF8.GetBytes("alias=a\0\0\0\0alias=b\0name=x\0\0"));

        Assert.Equal(["a", "b"], info.All("alias"));
        Assert.Equal("x", info.Name);
        Assert.False(info.IsLivepatch);
    }

    [Theory]
    [InlineData("novalue\0")]
    [InlineData("=value\0")]
    [InlineData("name=unterminated")]
    public void Parse_MalformedEntry_ThrowsModinfoMalformed(string text)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ModInfo.Parse(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(ErrorCodes.ModinfoMalformed, e.Code);
    }
}
