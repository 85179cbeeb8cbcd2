namespace LivePatch.Client.Tests;

public sealed class DisplayTextTests
{
    [Theory]
    [InlineData("lp_sample 6.1.0-56-amd64", "lp_sample 6.1.0-56-amd64")]
    [InlineData("nf_tables: fix use-after-free", "nf_tables: fix use-after-free")]
    [InlineData("Ünïcödé ✓ 日本語", "Ünïcödé ✓ 日本語")]
    [InlineData("emoji 🐧 stays", "emoji 🐧 stays")]
    public void Escape_PrintableText_Unchanged(string text, string expected)
    {
        Assert.Equal(expected, DisplayText.Escape(text));
    }

    [Theory]
    [InlineData("\u001b[2J\u001b]0;owned\u0007", @"\x1b[2J\x1b]0;owned\x07")]
    [InlineData("one\ntwo\r\tthree", @"one\x0atwo\x0d\x09three")]
    [InlineData("nul\0end", @"nul\x00end")]
    [InlineData("del\u007f", @"del\x7f")]
    [InlineData("csi\u009b31m c1\u0080\u0085", @"csi\u009b31m c1\u0080\u0085")]
    [InlineData("CVE-2024-1086\u202e1234", @"CVE-2024-1086\u202e1234")]
    [InlineData("\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c", @"\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c")]
    [InlineData("line\u2028para\u2029", @"line\u2028para\u2029")]
    [InlineData(@"C:\x1b is not an escape", @"C:\\x1b is not an escape")]
    public void Escape_ControlsBidiAndBackslash_BecomeVisibleEscapes(string text, string expected)
    {
        Assert.Equal(expected, DisplayText.Escape(text));
    }

    [Fact]
    public void Escape_LoneSurrogate_IsEscaped()
    {
        Assert.Equal(@"a\ud800b", DisplayText.Escape("a\ud800b"));
    }

    [Fact]
    public void Escape_OutputHasNoControlOrBidiCharacter()
    {
        var everything = new string([.. Enumerable.Range(0, 0x3000).Select(i => (char)i)]);

        var escaped = DisplayText.Escape(everything, int.MaxValue);

        Assert.DoesNotContain(escaped, c => char.IsControl(c) || c is (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069')
            or '\u200e' or '\u200f' or '\u061c' or '\u2028' or '\u2029');
    }

    [Fact]
    public void Escape_LongText_CutWithEllipsisWithinTheLimit()
    {
        var escaped = DisplayText.Escape(new string('a', 10_000));

        Assert.Equal(DisplayText.MaxLength, escaped.Length);
        Assert.EndsWith("a…", escaped, StringComparison.Ordinal);
    }

    [Fact]
    public void Escape_TextOfExactlyTheLimit_NotCut()
    {
        Assert.Equal(new string('a', 8), DisplayText.Escape(new string('a', 8), 8));
    }

    [Theory]
    [InlineData("abcdefg\u001b", 8, "abcdefg…")]
    [InlineData("abcde\u001bxyz", 8, "abcde…")]
    [InlineData("abcdef🐧x", 8, "abcdef…")]
    [InlineData("abcdefg🐧", 8, "abcdefg…")]
    public void Escape_CutNeverSplitsAnEscapeOrAPair(string text, int limit, string expected)
    {
        Assert.Equal(expected, DisplayText.Escape(text, limit));
    }
}
