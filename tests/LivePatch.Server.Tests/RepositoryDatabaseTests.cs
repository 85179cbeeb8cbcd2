using LivePatch.Server.Storage;

namespace LivePatch.Server.Tests;

/// <summary>The in-memory patch catalog follows LiteDB exactly: committed changes appear, rolled-back ones never do.</summary>
public sealed class RepositoryDatabaseTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("lpatch-db-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public void InsertPatch_TransactionRolledBack_NotInLiteDbNorInTheCatalog()
    {
        using var db = new RepositoryDatabase(_data);

        Assert.Throws<IOException>(() => db.InTransaction<int>(() =>
        {
            db.InsertPatch(Patch("aa", "bb"));
            throw new IOException("the disk went away");
        }));

        Assert.Empty(db.PatchesFor("aa"));
        Assert.Equal(0, db.Patches.Count());
    }

    [Fact]
    public void InsertUpdateDelete_Committed_CatalogFollowsAndSurvivesReopen()
    {
        using (var db = new RepositoryDatabase(_data))
        {
            var first = Patch("aa", "bb");
            db.InTransaction(() =>
            {
                db.InsertPatch(first);
                db.InsertPatch(Patch("bb"));
                return 0;
            });
            var changed = db.Patches.FindById(first.Id);
            changed.RevokedReason = "bad";
            db.InTransaction(() =>
            {
                db.UpdatePatch(changed);
                return 0;
            });

            Assert.Equal("bad", Assert.Single(db.PatchesFor("aa")).RevokedReason);
            Assert.Equal(2, db.PatchesFor("bb").Count);
            db.InTransaction(() =>
            {
                db.DeletePatch(first.Id);
                return 0;
            });
            Assert.Empty(db.PatchesFor("aa"));
        }

        using var reopened = new RepositoryDatabase(_data);
        Assert.Empty(reopened.PatchesFor("aa"));
        Assert.Single(reopened.PatchesFor("bb"));
    }

    private static PatchDocument Patch(params string[] buildIds) => new() { Name = "lp", Level = 1, BuildIds = [.. buildIds] };
}
