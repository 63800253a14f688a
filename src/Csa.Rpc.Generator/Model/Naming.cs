using System.Collections.Generic;
using System.Text;

namespace Csa.Rpc.Model;

/// <summary>Name checks and case conversions shared by the C# and C emitters.</summary>
internal static class Naming
{
    public const int MaxNameLength = 64;

    private static readonly HashSet<string> CSharpKeywords = new()
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit",
        "extern", "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int",
        "interface", "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out",
        "override", "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed",
        "short", "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try",
        "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
    };

    private static readonly HashSet<string> CKeywords = new()
    {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
        "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
        "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        "_Bool", "_Complex", "_Imaginary", "bool", "true", "false",

        // The header is also included from C++ (it has extern "C"), so C++ keywords are avoided too.
        "alignas", "alignof", "and", "asm", "catch", "class", "constexpr", "delete", "explicit", "export", "friend",
        "mutable", "namespace", "new", "noexcept", "not", "nullptr", "operator", "or", "private", "protected",
        "public", "template", "this", "throw", "try", "typeid", "typename", "using", "virtual", "xor",
    };

    /// <summary>PascalCase: an upper-case ASCII letter, then ASCII letters and digits.</summary>
    public static bool IsPascal(string name) => IsIdentifier(name, upperFirst: true);

    /// <summary>camelCase: a lower-case ASCII letter, then ASCII letters and digits.</summary>
    public static bool IsCamel(string name) => IsIdentifier(name, upperFirst: false);

    /// <summary>A dotted C# namespace whose parts are identifiers and not keywords.</summary>
    public static bool IsNamespace(string name)
    {
        if (name.Length == 0 || name.Length > 512)
            return false;
        foreach (string part in name.Split('.'))
        {
            if (part.Length == 0 || CSharpKeywords.Contains(part))
                return false;
            for (int i = 0; i < part.Length; i++)
            {
                char c = part[i];
                bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9');
                if (!ok)
                    return false;
            }
        }

        return true;
    }

    public static string ToPascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);

    public static string ToCamel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);

    /// <summary>A camelCase name usable as a C# parameter: keywords get an '@'.</summary>
    public static string ToCSharpParameter(string name)
    {
        string camel = ToCamel(name);
        return CSharpKeywords.Contains(camel) ? "@" + camel : camel;
    }

    /// <summary>"GetIdentity" and "getIdentity" become "get_identity"; "HTTPServer" becomes "http_server".</summary>
    public static string ToSnake(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool upper = c >= 'A' && c <= 'Z';
            if (upper && i > 0)
            {
                char previous = name[i - 1];
                bool previousLowerOrDigit = (previous >= 'a' && previous <= 'z') || (previous >= '0' && previous <= '9');
                bool previousUpper = previous >= 'A' && previous <= 'Z';
                bool nextLower = i + 1 < name.Length && name[i + 1] >= 'a' && name[i + 1] <= 'z';
                if (previousLowerOrDigit || (previousUpper && nextLower))
                    builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    public static string ToUpperSnake(string name) => ToSnake(name).ToUpperInvariant();

    /// <summary>A snake_case C member name; C keywords get a trailing underscore.</summary>
    public static string ToCMember(string name)
    {
        string snake = ToSnake(name);
        return CKeywords.Contains(snake) ? snake + "_" : snake;
    }

    private static bool IsIdentifier(string name, bool upperFirst)
    {
        if (name.Length == 0 || name.Length > MaxNameLength)
            return false;
        char first = name[0];
        if (upperFirst ? !(first >= 'A' && first <= 'Z') : !(first >= 'a' && first <= 'z'))
            return false;
        for (int i = 1; i < name.Length; i++)
        {
            char c = name[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                return false;
        }

        return true;
    }
}
