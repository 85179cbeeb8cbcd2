namespace LivePatch.Core.Tests;

/// <summary>Seeded random damage for fuzz-style tests: byte flips, truncations and overwritten length fields.</summary>
internal sealed class Mutator(int seed)
{
    private readonly Random _random = new(seed);

    public IEnumerable<byte[]> Mutations(byte[] original, int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return Mutate(original);
        }
    }

    public byte[] Mutate(byte[] original)
    {
        var bytes = (byte[])original.Clone();
        switch (_random.Next(4))
        {
            case 0: // truncate anywhere
                return bytes[.._random.Next(bytes.Length)];
            case 1: // flip a few bytes, biased to headers at the start and tables/trailers at the end
                for (var n = _random.Next(1, 9); n > 0; n--)
                {
                    bytes[Position(bytes.Length)] ^= (byte)_random.Next(1, 256);
                }

                return bytes;
            case 2: // overwrite an aligned 32-bit word with an extreme value (a length, offset or count)
                var at = Position(bytes.Length - 4) & ~3;
                uint[] extremes = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, (uint)bytes.Length, (uint)bytes.Length + 1];
                BitConverter.GetBytes(extremes[_random.Next(extremes.Length)]).CopyTo(bytes, Math.Max(at, 0));
                return bytes;
            default: // random bytes over a whole region
                var start = Position(bytes.Length);
                var length = Math.Min(_random.Next(1, 64), bytes.Length - start);
                _random.NextBytes(bytes.AsSpan(start, length));
                return bytes;
        }
    }

    private int Position(int length) => _random.Next(3) switch
    {
        0 => _random.Next(Math.Min(length, 128)),
        1 => Math.Max(0, length - 1 - _random.Next(Math.Min(length, 2048))),
        _ => _random.Next(length),
    };
}
