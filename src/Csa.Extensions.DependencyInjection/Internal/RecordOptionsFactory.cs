using Microsoft.Extensions.Options;

namespace Csa.Extensions.DependencyInjection.Internal;

/// <summary>
/// One change to an immutable options record: <c>ConfigureCsaUpdates</c> / <c>ConfigureCsaNetwork</c>, or the
/// container's logger factory (<paramref name="AfterUser"/>: applied after every change the application made).
/// </summary>
internal sealed record OptionsEdit<T>(Func<T, IServiceProvider, T> Apply, bool AfterUser);

/// <summary>
/// Makes the SDK's options records the container's way. The standard steps first (a new record, configuration bound
/// into it: the binder sets init-only properties, then <c>Configure&lt;T&gt;</c> and <c>PostConfigure&lt;T&gt;</c>
/// actions), then the <see cref="OptionsEdit{T}"/>s in order (a record cannot be changed in place, so an edit returns a
/// new one), then every <see cref="IValidateOptions{TOptions}"/>: an out-of-range setting is an
/// <see cref="OptionsValidationException"/> naming it.
/// </summary>
internal sealed class RecordOptionsFactory<T> : IOptionsFactory<T>
    where T : class, new()
{
    private readonly OptionsFactory<T> _standard;
    private readonly OptionsEdit<T>[] _edits;
    private readonly IValidateOptions<T>[] _validations;
    private readonly IServiceProvider _services;

    public RecordOptionsFactory(IEnumerable<IConfigureOptions<T>> setups, IEnumerable<IPostConfigureOptions<T>> postConfigures,
        IEnumerable<IValidateOptions<T>> validations, IEnumerable<OptionsEdit<T>> edits, IServiceProvider services)
    {
        _standard = new OptionsFactory<T>(setups, postConfigures, []);
        _edits = [.. edits.OrderBy(e => e.AfterUser)];
        _validations = [.. validations];
        _services = services;
    }

    public T Create(string name)
    {
        T value = _standard.Create(name);
        foreach (OptionsEdit<T> edit in _edits)
            value = edit.Apply(value, _services) ?? throw new InvalidOperationException($"A change to {typeof(T).Name} returned null.");
        var failures = new List<string>();
        foreach (IValidateOptions<T> validation in _validations)
        {
            ValidateOptionsResult result = validation.Validate(name, value);
            if (result.Failed)
                failures.AddRange(result.Failures ?? []);
        }
        if (failures.Count > 0)
            throw new OptionsValidationException(name, typeof(T), failures);
        return value;
    }
}
