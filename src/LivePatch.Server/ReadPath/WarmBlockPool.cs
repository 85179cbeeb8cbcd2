using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace LivePatch.Server.ReadPath;

/// <summary>Kestrel's I/O buffers, reused last-in first-out so that a response is written into memory still in cache.</summary>
/// <remarks>
/// Kestrel's own pool hands its 4 KiB blocks out first-in first-out. Once a large response (a 1 MiB module) has grown
/// the pool to hundreds of blocks, every later response is written into the block returned longest ago, which has
/// left the CPU caches and the TLB: measured, manifest GETs cost 10-20% more CPU after one 10 s run of 1 MiB
/// downloads. Here the block returned last is rented first, so the few blocks a steady load needs stay warm however
/// large the pool once grew. Two sizes, each on its own stack: pages, which is what Kestrel asks for, and 64 KiB
/// blocks for a writer that asks for more (<see cref="ReadPathMiddleware"/> writes module bodies so). Blocks that
/// stayed at the bottom of their stack for a whole <see cref="TrimInterval"/> are dropped for the garbage collector,
/// as Kestrel's pool evicts idle blocks.
/// </remarks>
public sealed class WarmBlockPool : MemoryPool<byte>
{
    /// <summary>What Kestrel asks for (a page): request headers, responses, socket reads.</summary>
    public const int SmallBlockSize = 4096;

    /// <summary>The largest block, rented when a writer asks for more than a page: large bodies in 16 times fewer pieces.</summary>
    public const int LargeBlockSize = 64 * 1024;

    /// <summary>How often blocks idle since the last look are dropped.</summary>
    public static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly ITimer? _trimTimer;
    private readonly BlockStack _small = new(SmallBlockSize);
    private readonly BlockStack _large = new(LargeBlockSize);
    private bool _disposed;

    /// <param name="time">Drives the trimming; null trims only when <see cref="Trim"/> is called.</param>
    public WarmBlockPool(TimeProvider? time = null)
    {
        _trimTimer = time?.CreateTimer(static pool => ((WarmBlockPool)pool!).Trim(), this, TrimInterval, TrimInterval);
    }

    public override int MaxBufferSize => LargeBlockSize;

    /// <summary>Blocks returned and waiting to be rented again, of both sizes.</summary>
    public int FreeBlocks
    {
        get
        {
            lock (_lock)
            {
                return _small.Count + _large.Count;
            }
        }
    }

    /// <summary>A page for any request up to a page (the pipe's default); a large block for more, up to <see cref="LargeBlockSize"/>.</summary>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        // As Kestrel's pool: a pipe asks for at most MaxBufferSize and takes larger segments elsewhere.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, LargeBlockSize);
        var stack = minBufferSize <= SmallBlockSize ? _small : _large;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (stack.TryPop() is { } block)
            {
                block.Rented = true;
                return block;
            }
        }

        return new Block(this, stack.Size);
    }

    /// <summary>Drops the blocks that stayed at the bottom of their stack since the last call; returns how many.</summary>
    public int Trim()
    {
        lock (_lock)
        {
            return _small.Trim() + _large.Trim();
        }
    }

    protected override void Dispose(bool disposing)
    {
        _trimTimer?.Dispose();
        lock (_lock)
        {
            _disposed = true;
            _small.Clear();
            _large.Clear();
        }
    }

    private void Return(Block block)
    {
        lock (_lock)
        {
            if (!block.Rented || _disposed)
            {
                return; // a second Dispose of the same block must not put it on the stack twice (two renters, one buffer)
            }

            block.Rented = false;
            (block.Memory.Length == SmallBlockSize ? _small : _large).Push(block);
        }
    }

    /// <summary>Free blocks of one size, the last returned on top; used under the pool's lock.</summary>
    private sealed class BlockStack(int size)
    {
        private Block?[] _blocks = new Block?[64];
        private int _fewest; // the fewest blocks on the stack since the last trim: those below were not touched

        public int Size { get; } = size;

        public int Count { get; private set; }

        public Block? TryPop()
        {
            if (Count == 0)
            {
                _fewest = 0;
                return null;
            }

            var block = _blocks[--Count];
            _blocks[Count] = null;
            _fewest = Math.Min(_fewest, Count);
            return block;
        }

        public void Push(Block block)
        {
            if (Count == _blocks.Length)
            {
                Array.Resize(ref _blocks, _blocks.Length * 2);
            }

            _blocks[Count++] = block;
        }

        public int Trim()
        {
            var idle = _fewest;
            if (idle > 0)
            {
                Array.Copy(_blocks, idle, _blocks, 0, Count - idle);
                Array.Clear(_blocks, Count - idle, idle);
                Count -= idle;
            }

            _fewest = Count;
            return idle;
        }

        public void Clear()
        {
            Array.Clear(_blocks);
            Count = 0;
        }
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly WarmBlockPool _pool;

        public Block(WarmBlockPool pool, int size)
        {
            _pool = pool;
            // Pinned, so that a socket send or receive needs no GC handle, as with Kestrel's blocks.
            Memory = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(size, pinned: true), 0, size);
            Rented = true;
        }

        public Memory<byte> Memory { get; }

        /// <summary>Out with a renter; changed under the pool's lock only.</summary>
        public bool Rented { get; set; }

        public void Dispose() => _pool.Return(this);
    }
}

/// <summary>Gives Kestrel a <see cref="WarmBlockPool"/> wherever it would create its own pool.</summary>
public sealed class WarmBlockPoolFactory(TimeProvider time) : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new WarmBlockPool(time);
}
