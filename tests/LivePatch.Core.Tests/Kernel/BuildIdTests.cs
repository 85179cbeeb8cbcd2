using LivePatch.Core.Kernel;

namespace LivePatch.Core.Tests.Kernel;

public sealed class BuildIdTests
{
    [Fact]
    public void Parse_UppercaseHex_NormalisesToLowercase()
    {
        var id = BuildId.Parse("4A5A9B0AFFB66C437ABCD455D2738AF879985FA9");

        Assert.Equal("4a5a9b0affb66c437abcd455d2738af879985fa9", id.Hex);
        Assert.Equal(id, BuildId.Parse(id.Hex));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]                    // odd length
    [InlineData("00112233445566")]         // 7 bytes
    [InlineData("0011223344556677zz")]     // not hex
    [InlineData("../../etc/passwd00")]     // path characters
    public void TryParse_Invalid_ReturnsFalse(string text)
    {
        Assert.False(BuildId.TryParse(text, out _));
        var e = Assert.Throws<LivePatchFormatException>(() => BuildId.Parse(text));
        Assert.Equal(ErrorCodes.BuildIdInvalid, e.Code);
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(20, true)]
    [InlineData(64, true)]
    [InlineData(7, false)]
    [InlineData(65, false)]
    public void FromBytes_Length_AcceptsEightToSixtyFour(int length, bool valid)
    {
        var bytes = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

        if (valid)
        {
            Assert.Equal(length * 2, BuildId.FromBytes(bytes).Hex.Length);
        }
        else
        {
            Assert.Throws<LivePatchFormatException>(() => BuildId.FromBytes(bytes));
        }
    }

    [Fact]
    public void Default_ToString_IsEmpty() => Assert.Equal("", default(BuildId).ToString());
}
