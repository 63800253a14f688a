namespace Csa.Fuzz.Engine;

/// <summary>A target found the parser breaking its documented contract without throwing (no progress, a bound exceeded, a round trip that differs).</summary>
internal sealed class ContractViolation(string message) : Exception(message);
