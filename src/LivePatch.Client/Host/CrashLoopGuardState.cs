using System.Text.Json.Serialization;

namespace LivePatch.Client.Host;

/// <summary>A patch the crash-loop guard will not apply again until an operator clears it.</summary>
/// <param name="Sha256">SHA-256 of the decompressed module (what the kernel loads), lowercase hex; entries written before
/// lpatch keyed on that hold the blob's SHA-256, and are matched against both.</param>
/// <param name="Name">The module name, for people reading the list.</param>
/// <param name="Reason">The loader's failure code, <c>interrupted-apply</c>, <c>host-down-after-apply</c> or
/// <c>host-down-after-boot-apply</c>.</param>
/// <param name="Time">When the guard quarantined it.</param>
public sealed record QuarantineEntry(string Sha256, string Name, string Reason, DateTimeOffset Time);

/// <summary>An apply as the guard records it: in <c>apply-pending.json</c> while running, in <c>last-apply.json</c> after success.</summary>
/// <remarks><c>AtBoot</c>: true for <c>lpatch apply --boot</c>'s re-apply from the cache; absent (false) in files written before.</remarks>
public sealed record ApplyRecord(string Name, int Level, string Sha256, string BootId, DateTimeOffset Time, bool AtBoot = false);

/// <summary>The content of <c>quarantine.json</c>.</summary>
internal sealed record QuarantineList(List<QuarantineEntry> Entries);

/// <summary>Source-generated JSON for the guard's files (the host client is Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ApplyRecord))]
[JsonSerializable(typeof(QuarantineList))]
internal sealed partial class CrashLoopGuardJsonContext : JsonSerializerContext;
