using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core;
using LivePatch.Core.Modules;
using LivePatch.Core.Signing;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch module …</c>: inspect, sign and verify kernel modules.</summary>
internal static class ModuleCommands
{
    public static Command Build() => new("module", "Inspect, sign and verify kernel (livepatch) modules.")
    {
        Info(),
        Sign(),
        Verify(),
    };

    private static Command Info()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A module: .ko, .ko.gz, .ko.xz or .ko.zst." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of modinfo-style lines." };
        var command = new Command("info", "Show a module's name, vermagic, livepatch flag, build ID and signature (signer and key id as modinfo prints them).")
        {
            file,
            json,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(file).FullName;
            var module = ModuleFile.Load(path);
            var signature = ModuleSignatureReader.ReadOrNull(module.Bytes.Span);
            var view = new ModuleInfoView(Path.GetFileName(path), module, signature);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                view.WriteJson(output);
            }
            else
            {
                view.WriteText(output);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Sign()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The module to sign (uncompressed .ko)." };
        var key = new Option<FileInfo>("--key") { Description = "Private key, PEM (PKCS#8, PKCS#1 or SEC1).", Required = true };
        var cert = new Option<FileInfo>("--cert") { Description = "The signing certificate, PEM; the kernel must trust it.", Required = true };
        var hash = new Option<string>("--hash") { Description = "Digest algorithm.", DefaultValueFactory = _ => "sha256" };
        hash.AcceptOnlyFromAmong("sha256", "sha384", "sha512");
        var output = new Option<FileInfo>("--out") { Description = "Where to write the signed module (default: replace FILE)." };
        var replace = new Option<bool>("--replace") { Description = "Replace an existing signature instead of refusing." };
        var keyId = new Option<bool>("--key-id") { Description = "Name the signer by subject key identifier (sign-file -k) instead of issuer and serial." };
        var command = new Command("sign", "Append a kernel module signature, byte for byte as the kernel's scripts/sign-file does.")
        {
            file, key, cert, hash, output, replace, keyId,
        };
        command.SetAction(parse =>
        {
            var input = parse.GetRequiredValue(file).FullName;
            var module = FileBytes.ReadBounded(input, ModuleFile.DefaultMaxBytes);
            LivePatchFormatException.ThrowUnless(ModuleDecompressor.Detect(module) == ModuleCompression.None, ErrorCodes.ModuleCompressed,
                $"{input} is compressed; sign the uncompressed .ko and compress it afterwards, as 'make modules_install' does.");
            LivePatchFormatException.ThrowUnless(parse.GetValue(replace) || !ModuleSignatureReader.IsSigned(module), ErrorCodes.SignatureAlreadyPresent,
                $"{input} is already signed; pass --replace to replace its signature.");
            using var signer = ModuleSigner.LoadSigningCertificate(parse.GetRequiredValue(cert).FullName, parse.GetRequiredValue(key).FullName);
            var options = new ModuleSigningOptions
            {
                ReplaceExistingSignature = parse.GetValue(replace),
                UseSubjectKeyIdentifier = parse.GetValue(keyId),
            };
            var signed = ModuleSigner.Sign(module, signer, new HashAlgorithmName(parse.GetRequiredValue(hash).ToUpperInvariant()), options);
            var destination = parse.GetValue(output)?.FullName ?? input;
            AtomicFile.Write(destination, signed);
            parse.InvocationConfiguration.Output.WriteLine($"signed {destination} ({parse.GetValue(hash)}, signer {signer.GetNameInfo(X509NameType.SimpleName, false)})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Verify()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The module to verify (.ko, .ko.gz, .ko.xz, .ko.zst)." };
        var keyring = new Option<string[]>("--keyring")
        {
            Description = "Trusted certificate(s): a PEM or DER file, or a directory of them. Repeatable.",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("verify", "Verify a module's appended signature against a keyring, as the kernel would. Exit 0 valid, 1 refused, 2 unreadable input.")
        {
            file,
            keyring,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(file).FullName;
            var ring = ModuleKeyring.Load(parse.GetRequiredValue(keyring));
            var module = ModuleFile.Load(path);
            var result = new ModuleVerifier(ring).Verify(module.Bytes.Span);
            if (!result.IsValid)
            {
                parse.InvocationConfiguration.Error.WriteLine($"lpatch: {path}: refused [{result.Issue!.Code}]: {result.Issue.Message}");
                return ExitCodes.VerificationRefused;
            }

            var signer = result.Signer!.GetNameInfo(X509NameType.SimpleName, false);
            parse.InvocationConfiguration.Output.WriteLine(
                $"{path}: valid signature ({result.Signature!.SignatureAlgorithm}, {result.Signature.HashAlgorithmLabel}) by '{signer}', key {result.Signature.KeyId}");
            return ExitCodes.Success;
        });
        return command;
    }
}
