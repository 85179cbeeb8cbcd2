using LivePatch.Server.ReadPath;
using System.Buffers;
using System.Runtime.InteropServices;
using LivePatch.Server.Api;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LivePatch.Server.Tests;

/// <summary>The pool Kestrel's socket buffers come from: last in, first out; never one block to two renters; idle blocks trimmed.</summary>
public sealed class WarmBlockPoolTests
{
    [Fact]
    public void TheBlockReturnedLast_IsRentedFirst()
    {
        using var pool = new WarmBlockPool();
        var a = pool.Rent();
        var b = pool.Rent();
        var c = pool.Rent();
        var (arrayA, arrayB, arrayC) = (ArrayOf(a), ArrayOf(b), ArrayOf(c));
        a.Dispose();
        b.Dispose();
        c.Dispose();

        Assert.Same(arrayC, ArrayOf(pool.Rent()));
        Assert.Same(arrayB, ArrayOf(pool.Rent()));
        Assert.Same(arrayA, ArrayOf(pool.Rent()));
        Assert.Equal(0, pool.FreeBlocks);
    }

    [Fact]
    public void UpToAPage_APageIsRented_AboveIt_ALargeBlock_AndEachSizeIsReusedOnItsOwn()
    {
        using var pool = new WarmBlockPool();
        var page = pool.Rent(100);
        var large = pool.Rent(WarmBlockPool.SmallBlockSize + 1);

        Assert.Equal(WarmBlockPool.SmallBlockSize, page.Memory.Length);
        Assert.Equal(WarmBlockPool.SmallBlockSize, pool.Rent().Memory.Length); // the pipe's default request: -1
        Assert.Equal(WarmBlockPool.LargeBlockSize, large.Memory.Length);
        Assert.Equal(WarmBlockPool.LargeBlockSize, pool.MaxBufferSize);
        Assert.Equal(GC.MaxGeneration, GC.GetGeneration(ArrayOf(page))); // pinned: the pinned object heap reports as gen 2
        var (pageArray, largeArray) = (ArrayOf(page), ArrayOf(large));
        page.Dispose();
        large.Dispose();

        Assert.Same(pageArray, ArrayOf(pool.Rent(WarmBlockPool.SmallBlockSize)));
        Assert.Same(largeArray, ArrayOf(pool.Rent(WarmBlockPool.LargeBlockSize)));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(WarmBlockPool.LargeBlockSize + 1));
    }

    [Fact]
    public void ABlockDisposedTwice_IsStillRentedToOneRenterOnly()
    {
        using var pool = new WarmBlockPool();
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();

        Assert.Equal(1, pool.FreeBlocks);
        var first = pool.Rent();
        var second = pool.Rent();
        Assert.NotSame(ArrayOf(first), ArrayOf(second));
    }

    [Fact]
    public void Trim_DropsTheBlocksNoRenterTouchedSinceTheLastTrim_AndKeepsTheWarmOnes()
    {
        using var pool = new WarmBlockPool();
        var blocks = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList();
        blocks.ForEach(b => b.Dispose());
        Assert.Equal(0, pool.Trim()); // a peak just now: the renters only just gave them back
        Assert.Equal(10, pool.FreeBlocks);

        // A steady load that needs three blocks at a time.
        var warm = new List<byte[]>();
        for (var i = 0; i < 5; i++)
        {
            var rented = Enumerable.Range(0, 3).Select(_ => pool.Rent()).ToList();
            warm = rented.Select(ArrayOf).ToList();
            rented.ForEach(b => b.Dispose());
        }

        pool.Rent(WarmBlockPool.LargeBlockSize).Dispose(); // a large block, used once in this interval

        Assert.Equal(7, pool.Trim());
        Assert.Equal(4, pool.FreeBlocks);
        var kept = Enumerable.Range(0, 3).Select(_ => ArrayOf(pool.Rent())).ToList();
        Assert.Equal(warm.ToHashSet(), kept.ToHashSet());
        Assert.Equal(1, pool.Trim()); // the large block, idle since
    }

    [Fact]
    public void IdleBlocks_AreTrimmedOnTheClock()
    {
        var time = new FakeTimeProvider();
        using var pool = new WarmBlockPool(time);
        var blocks = Enumerable.Range(0, 4).Select(_ => pool.Rent()).ToList();
        blocks.ForEach(b => b.Dispose());

        time.Advance(WarmBlockPool.TrimInterval);
        Assert.Equal(4, pool.FreeBlocks); // idle for less than a whole interval
        time.Advance(WarmBlockPool.TrimInterval);
        Assert.Equal(0, pool.FreeBlocks);
    }

    [Fact]
    public void AfterDispose_RentingFails_AndLateReturnsAreDropped()
    {
        var pool = new WarmBlockPool();
        var late = pool.Rent();
        pool.Dispose();

        late.Dispose(); // Kestrel may return a block while it shuts down
        Assert.Equal(0, pool.FreeBlocks);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }

    [Fact]
    public async Task UnderConcurrentUse_NoBlockIsEverHeldByTwoRenters()
    {
        // Each renter fills its block with its own byte and checks it is still there before giving it back: a block
        // handed to two renters at once (one response's bytes in another's buffer) is overwritten and caught.
        using var pool = new WarmBlockPool();
        var failures = 0;
        var workers = Enumerable.Range(1, 4).Select(id => Task.Run(() =>
        {
            var mark = (byte)id;
            var held = new List<IMemoryOwner<byte>>();
            for (var i = 0; i < 20_000; i++)
            {
                var block = pool.Rent(i % 3 == 0 ? WarmBlockPool.LargeBlockSize : -1);
                block.Memory.Span.Fill(mark);
                held.Add(block);
                if (held.Count > i % 5)
                {
                    foreach (var b in held)
                    {
                        if (b.Memory.Span.IndexOfAnyExcept(mark) >= 0)
                        {
                            Interlocked.Increment(ref failures);
                        }

                        b.Dispose();
                    }

                    held.Clear();
                }
            }

            held.ForEach(b => b.Dispose());
        })).ToArray();
        var trimmer = Task.Run(() =>
        {
            while (!workers.All(w => w.IsCompleted))
            {
                pool.Trim();
                Thread.Yield();
            }
        });
        await Task.WhenAll([.. workers, trimmer]);

        Assert.Equal(0, failures);
        Assert.InRange(pool.FreeBlocks, 0, 2 * 4 * 5); // never more of a size than were out at once: none was put back twice
    }

    [Fact]
    public void TheServer_GivesKestrelThisPool()
    {
        using var factory = new RepositoryFactory();

        var poolFactory = factory.Services.GetRequiredService<IMemoryPoolFactory<byte>>();

        Assert.IsType<WarmBlockPoolFactory>(poolFactory);
        using var pool = poolFactory.Create(new MemoryPoolOptions { Owner = "kestrel" });
        Assert.IsType<WarmBlockPool>(pool);
    }

    [Fact]
    public void TheServer_ReadPathSimple_LeavesKestrelItsOwnPool()
    {
        using var factory = new RepositoryFactory(new() { [ReadPathSetting.Key] = "simple" });

        var poolFactory = factory.Services.GetRequiredService<IMemoryPoolFactory<byte>>();

        Assert.IsNotType<WarmBlockPoolFactory>(poolFactory);
        using var pool = poolFactory.Create(new MemoryPoolOptions { Owner = "kestrel" });
        Assert.IsNotType<WarmBlockPool>(pool);
    }

    private static byte[] ArrayOf(IMemoryOwner<byte> block) =>
        MemoryMarshal.TryGetArray<byte>(block.Memory, out var segment) ? segment.Array! : throw new InvalidOperationException("not array-backed");
}
