#if !NET9_0_OR_GREATER
namespace System.Runtime.CompilerServices;

/// <summary>
/// The C# 13 overload tie-breaker, which .NET 9 added to the runtime library: declared here for the net8.0 build, where
/// the compiler recognises it by name, so <c>UpdateApplication(device, image, null)</c> compiles against either build.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
internal sealed class OverloadResolutionPriorityAttribute(int priority) : Attribute
{
    /// <summary>Higher wins among otherwise equal overloads.</summary>
    public int Priority { get; } = priority;
}
#endif
