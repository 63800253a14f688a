using System;

namespace Csa.Rpc.Model.Json;

/// <summary>The text is not valid JSON; <see cref="Range"/> points at the offending character.</summary>
internal sealed class JsonSyntaxException : Exception
{
    public JsonSyntaxException(string message, TextRange range)
        : base(message)
    {
        Range = range;
    }

    public TextRange Range { get; }
}
