using System.Buffers.Binary;
using LivePatch.Core.Signing;
using static LivePatch.Core.Tests.Signing.SigningFixtures;
using static LivePatch.Testing.FixtureFiles;

namespace LivePatch.Core.Tests.Signing;

/// <summary>Seeded random mutations of every signed fixture through the reader and the verifier.</summary>
public sealed class ModuleSignatureFuzzTests
{
    private const int MutationsPerModule = 600;

    public static TheoryData<string> Modules => new(AllSignedModules);

    [Theory]
    [MemberData(nameof(Modules))]
    public void ReadOrNullAndVerify_RandomMutations_NeverThrowAndNeverAcceptAChangedBody(string name)
    {
        byte[] original = Module(name);
        int bodyLength = ModuleSignatureReader.ReadOrNull(original)!.BodyLength;
        var verifier = new ModuleVerifier(Keyring("rsa2048", "rsa4096", "ecdsa-p384", "other-rsa2048"));
        // A fixed seed per module (HashCode is randomized per process), so a failure reproduces.
        var random = new Random(1000 + Array.IndexOf(AllSignedModules, name));

        for (int i = 0; i < MutationsPerModule; i++)
        {
            var (mutated, bodyChanged) = Mutate(original, bodyLength, random);
            try
            {
                ModuleSignatureReader.ReadOrNull(mutated);
            }
            catch (LivePatchFormatException)
            {
                // Expected for malformed input; any other exception fails the test.
            }
            var result = verifier.Verify(mutated);
            Assert.False(bodyChanged && result.IsValid, $"mutation {i} of {name} changed the body but verified");
        }
    }

    /// <summary>One byte flip, truncation, or trailer length change; says whether the signed bytes changed.</summary>
    private static (byte[] Module, bool BodyChanged) Mutate(byte[] original, int bodyLength, Random random)
    {
        byte[] module = (byte[])original.Clone();
        int structOffset = StructOffset(module);
        switch (random.Next(5))
        {
            case 0:
                int offset = random.Next(module.Length);
                module[offset] ^= (byte)(1 << random.Next(8));
                return (module, offset < bodyLength);
            case 1:
                int at = bodyLength + random.Next(module.Length - bodyLength);
                module[at] = (byte)random.Next(256);
                return (module, false);
            case 2:
                return (module[..random.Next(module.Length)], true);
            case 3:
                return (module[random.Next(1, module.Length)..], true);
            default:
                uint sigLen = BinaryPrimitives.ReadUInt32BigEndian(module.AsSpan(structOffset + 8));
                uint changed = random.Next(3) switch
                {
                    0 => (uint)random.NextInt64(uint.MaxValue + 1L),
                    1 => sigLen + (uint)random.Next(-8, 9),
                    _ => (uint)random.Next(module.Length + 64),
                };
                BinaryPrimitives.WriteUInt32BigEndian(module.AsSpan(structOffset + 8), changed);
                return (module, changed != sigLen);
        }
    }
}
