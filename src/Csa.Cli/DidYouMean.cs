using System.CommandLine;
using System.CommandLine.Parsing;

namespace Csa.Cli;

/// <summary>
/// "did you mean" for a mistyped command or option: the closest name the command takes, by edit distance (at most a
/// third of the word, at least 1) or as the start of a longer name, appended to the one-line parse error.
/// </summary>
internal static class DidYouMean
{
    /// <summary>
    /// A better message for a refused command line, or null: an option the command does not know (the parser takes it for
    /// an argument value and complains about what follows) is named as such, and the closest name is suggested.
    /// </summary>
    public static string? Describe(ParseResult parseResult, IReadOnlyList<string> args)
    {
        Command command = parseResult.CommandResult.Command;
        string[] options = KnownOptions(parseResult).ToArray();
        foreach (string arg in args.TakeWhile(a => a != "--"))
        {
            if (arg.Length < 2 || arg[0] != '-' || char.IsAsciiDigit(arg[1]) || arg.StartsWith('['))
                continue;
            string name = arg.Split('=', 2)[0];
            if (options.Contains(name, StringComparer.Ordinal))
                continue;
            return $"unknown option '{name}' for 'csa{Path(parseResult)}'" + Suggestion(name, options);
        }
        foreach (ParseError error in parseResult.Errors)
        {
            if (Unrecognized(error.Message) is { } token)
            {
                string[] names = command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name)).ToArray();
                string suggestion = Suggestion(token, names);
                if (suggestion.Length > 0)
                    return $"unknown command '{token}' for 'csa{Path(parseResult)}'" + suggestion;
            }
        }
        return null;
    }

    /// <summary>" (did you mean 'x'?)" for the closest of <paramref name="candidates"/>, or empty.</summary>
    public static string Suggestion(string typed, IEnumerable<string> candidates)
    {
        string[] close = Closest(typed, candidates).Take(3).ToArray();
        return close.Length == 0 ? "" : $"; did you mean {string.Join(" or ", close.Select(c => $"'{c}'"))}?";
    }

    /// <summary>The candidates close to <paramref name="typed"/>, closest first.</summary>
    public static IEnumerable<string> Closest(string typed, IEnumerable<string> candidates)
    {
        string t = typed.TrimStart('-').ToLowerInvariant();
        int limit = Math.Max(1, t.Length / 3);
        return candidates.Distinct(StringComparer.Ordinal)
            .Select(c => (Name: c, Distance: Distance(t, c.TrimStart('-').ToLowerInvariant()), Prefix: t.Length >= 3 && c.TrimStart('-').StartsWith(t, StringComparison.OrdinalIgnoreCase)))
            .Where(c => c.Distance <= limit || c.Prefix)
            .OrderBy(c => c.Prefix ? 0 : c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name);
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and transpositions of neighbours.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    private static IEnumerable<string> KnownOptions(ParseResult parseResult)
    {
        for (SymbolResult? current = parseResult.CommandResult; current is not null; current = current.Parent)
        {
            if (current is not CommandResult { Command: var command })
                continue;
            bool own = ReferenceEquals(current, parseResult.CommandResult);
            foreach (Option option in command.Options.Where(o => own || o.Recursive))
            {
                yield return option.Name;
                foreach (string alias in option.Aliases)
                    yield return alias;
            }
        }
    }

    private static string? Unrecognized(string message)
    {
        const string prefix = "Unrecognized command or argument '";
        if (!message.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        int end = message.IndexOf('\'', prefix.Length);
        return end < 0 ? null : message[prefix.Length..end];
    }

    private static string Path(ParseResult parseResult)
    {
        var names = new Stack<string>();
        for (SymbolResult? current = parseResult.CommandResult; current is CommandResult command && command.Command is not RootCommand; current = current.Parent)
            names.Push(command.Command.Name);
        return names.Count == 0 ? "" : " " + string.Join(' ', names);
    }
}
