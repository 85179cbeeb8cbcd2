namespace LivePatch.Core.Tests;

public sealed class DirectorySyncTests
{
    [Fact]
    public void AnExistingFolder_IsFlushed()
    {
        var folder = Directory.CreateTempSubdirectory("lpatch-sync-").FullName;
        try
        {
            DirectorySync.Flush(folder);
            Assert.True(Directory.Exists(folder));
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Fact]
    public void AMissingFolder_IsAnIOException_NamingItAndTheReason()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"lpatch-missing-{Guid.NewGuid():N}");

        var error = Assert.Throws<IOException>(() => DirectorySync.Flush(missing));

        Assert.Contains(missing, error.Message);
        Assert.Contains("errno 2", error.Message); // ENOENT
    }
}
