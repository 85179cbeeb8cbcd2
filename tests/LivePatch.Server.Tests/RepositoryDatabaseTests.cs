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
    public void PendingBins_RolledBackMarkAndClear_MemoryFollowsLiteDbAndSurvivesReopen()
    {
        using (var db = new RepositoryDatabase(_data))
        {
            db.InTransaction(() =>
            {
                db.MarkBinsPending(["stable/aa", "stable/bb", "stable/aa"]);
                return 0;
            });
            Assert.Throws<IOException>(() => db.InTransaction<int>(() =>
            {
                db.MarkBinsPending(["stable/cc", "stable/aa"]);
                db.ClearBinPending("stable/bb"); // a bin re-signed in a transaction that then fails: still pending
                throw new IOException("the disk went away");
            }));

            Assert.Equal(["stable/aa", "stable/bb"], db.PendingBinKeys().Order(StringComparer.Ordinal));
            Assert.Equal(["stable/aa", "stable/bb"], db.PendingBins.FindAll().Select(b => b.Id).Order(StringComparer.Ordinal));
            Assert.False(db.IsBinPending("stable/cc"));
            db.InTransaction(() =>
            {
                db.ClearBinPending("stable/aa");
                db.ClearBinPending("stable/dd"); // never marked
                db.MarkBinsPending(["stable/ee", "stable/ff"]);
                db.ClearBinPending("stable/ee"); // marked and re-signed in one transaction: never pending afterwards
                return 0;
            });
        }

        using var reopened = new RepositoryDatabase(_data);
        Assert.Equal(["stable/bb", "stable/ff"], reopened.PendingBinKeys().Order(StringComparer.Ordinal));
        Assert.True(reopened.IsBinPending("stable/bb"));
        Assert.Equal(["stable/bb", "stable/ff"], reopened.PendingBins.FindAll().Select(b => b.Id).Order(StringComparer.Ordinal));
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

    [Fact]
    public void UpdatePatch_KernelsChanged_CatalogDropsTheOldKeepsTheRestAddsTheNew()
    {
        using var db = new RepositoryDatabase(_data);
        var patch = Patch("aa", "bb");
        db.InTransaction(() =>
        {
            db.InsertPatch(patch);
            db.InsertPatch(Patch("bb"));
            return 0;
        });

        var changed = db.Patches.FindById(patch.Id);
        changed.BuildIds = ["bb", "cc"];
        changed.RevokedReason = "bad";
        db.InTransaction(() =>
        {
            db.UpdatePatch(changed);
            return 0;
        });

        Assert.Empty(db.PatchesFor("aa"));
        Assert.Equal(2, db.PatchesFor("bb").Count);
        Assert.Equal("bad", Assert.Single(db.PatchesFor("bb"), p => p.Id == patch.Id).RevokedReason);
        Assert.Equal(patch.Id, Assert.Single(db.PatchesFor("cc")).Id);
        Assert.Equal((2, 2), db.PatchCounts());
    }

    [Fact]
    public void SharedBuildId_PatchesStoredWithEqualStrings_OneInstancePerKernel()
    {
        using var db = new RepositoryDatabase(_data);
        var first = Patch(new string("ab".AsSpan()));
        var second = Patch(new string("ab".AsSpan()));
        db.InTransaction(() =>
        {
            db.InsertPatch(first);
            db.InsertPatch(second);
            return 0;
        });

        var shared = db.SharedBuildId(new string("ab".AsSpan()));
        Assert.Same(shared, first.BuildIds[0]);
        Assert.Same(shared, second.BuildIds[0]);
        var unknown = new string("cd".AsSpan());
        Assert.Same(unknown, db.SharedBuildId(unknown));
    }

    private static PatchDocument Patch(params string[] buildIds) => new() { Name = "lp", Level = 1, BuildIds = [.. buildIds] };
}
