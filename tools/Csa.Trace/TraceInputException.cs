namespace Csa.Trace;

/// <summary>An input the matrix cannot be made from: a missing or malformed catalogue or result file. Exit code 2.</summary>
internal sealed class TraceInputException(string message, Exception? inner = null) : Exception(message, inner);
