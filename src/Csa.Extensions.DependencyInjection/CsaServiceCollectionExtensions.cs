using Csa.Bootloader.Updates;
using Csa.DataLink.Transports;
using Csa.Extensions.DependencyInjection;
using Csa.Extensions.DependencyInjection.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Csa SDK in a service collection.</summary>
public static class CsaServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="CsaDevices"/> (a singleton) with its options bound from <paramref name="configuration"/>:
    /// <c>Links</c> (link URIs) to <see cref="CsaDevicesOptions"/>, <c>Network</c> to <see cref="DeviceNetworkOptions"/>,
    /// <c>Updates</c> to <see cref="UpdateOptions"/> (durations as <c>"00:00:02"</c>, a retry policy as
    /// <c>Retry:Timeout</c> and <c>Retry:Attempts</c>). The SDK logs through the container's <see cref="ILoggerFactory"/>
    /// when there is one. Options not in the configuration keep their defaults; <see cref="ConfigureCsaUpdates"/> adds
    /// what configuration cannot hold (verifiers, an authenticator).
    /// </summary>
    /// <param name="services">The collection.</param>
    /// <param name="configuration">The section, e.g. <c>builder.Configuration.GetSection("Csa")</c>.</param>
    /// <returns>The collection.</returns>
    public static IServiceCollection AddCsaDevices(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(services);
        services.AddOptions<CsaDevicesOptions>().Bind(configuration);
        services.AddOptions<DeviceNetworkOptions>().Bind(configuration.GetSection("Network"));
        services.AddOptions<UpdateOptions>().Bind(configuration.GetSection("Updates"));
        return services;
    }

    /// <summary>Registers <see cref="CsaDevices"/> with its links given in code (the SDK's options keep their defaults; configure them with <c>services.Configure&lt;T&gt;</c>).</summary>
    /// <param name="services">The collection.</param>
    /// <param name="configure">Sets the links.</param>
    /// <returns>The collection.</returns>
    public static IServiceCollection AddCsaDevices(this IServiceCollection services, Action<CsaDevicesOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services);
        services.Configure(configure);
        return services;
    }

    /// <summary>
    /// Changes the <see cref="UpdateOptions"/> of <see cref="CsaDevices"/> in code, after the configuration is bound:
    /// <c>services.ConfigureCsaUpdates(o =&gt; o with { TrustedVerifiers = [new EcdsaP256Verifier(key)] })</c>. The
    /// options are an immutable record, so the change returns a new one; several changes apply in order.
    /// </summary>
    /// <param name="services">The collection.</param>
    /// <param name="configure">Returns the changed options.</param>
    /// <returns>The collection.</returns>
    public static IServiceCollection ConfigureCsaUpdates(this IServiceCollection services, Func<UpdateOptions, UpdateOptions> configure) =>
        AddEdit(services, configure);

    /// <summary>
    /// Changes the <see cref="DeviceNetworkOptions"/> of <see cref="CsaDevices"/> in code, after the configuration is
    /// bound (see <see cref="ConfigureCsaUpdates"/>).
    /// </summary>
    /// <param name="services">The collection.</param>
    /// <param name="configure">Returns the changed options.</param>
    /// <returns>The collection.</returns>
    public static IServiceCollection ConfigureCsaNetwork(this IServiceCollection services, Func<DeviceNetworkOptions, DeviceNetworkOptions> configure) =>
        AddEdit(services, configure);

    private static IServiceCollection AddEdit<T>(IServiceCollection services, Func<T, T> configure)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddRecordOptions(services);
        services.AddSingleton(new OptionsEdit<T>((o, _) => configure(o), AfterUser: false));
        return services;
    }

    private static void AddCore(IServiceCollection services)
    {
        services.AddOptions();
        AddRecordOptions(services);
        services.TryAddSingleton<CsaDevices>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CsaDevicesOptions>, LinksValidation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeviceNetworkOptions>, NetworkValidation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpdateOptions>, UpdatesValidation>());
    }

    /// <summary>
    /// The SDK's options are immutable records: a factory of their own builds them (configuration and code changes, then
    /// the container's logger factory unless the options name one, then validation).
    /// </summary>
    private static void AddRecordOptions(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IOptionsFactory<UpdateOptions>)))
            return;
        services.AddOptions();
        services.AddTransient<IOptionsFactory<UpdateOptions>, RecordOptionsFactory<UpdateOptions>>();
        services.AddTransient<IOptionsFactory<DeviceNetworkOptions>, RecordOptionsFactory<DeviceNetworkOptions>>();
        // The container's logger factory, unless the options name one of their own.
        services.AddSingleton(new OptionsEdit<UpdateOptions>((o, provider) =>
            o.LoggerFactory is NullLoggerFactory && ContainerLogging(provider) is { } factory ? o with { LoggerFactory = factory } : o, AfterUser: true));
        services.AddSingleton(new OptionsEdit<DeviceNetworkOptions>((o, provider) =>
            o.LoggerFactory is NullLoggerFactory && ContainerLogging(provider) is { } factory ? o with { LoggerFactory = factory } : o, AfterUser: true));
    }

    private static ILoggerFactory? ContainerLogging(IServiceProvider provider) => provider.GetService<ILoggerFactory>();

    private sealed class LinksValidation : IValidateOptions<CsaDevicesOptions>
    {
        public ValidateOptionsResult Validate(string? name, CsaDevicesOptions options)
        {
            if (options.Links.Count == 0)
                return ValidateOptionsResult.Fail("Csa: no link is configured (the section's Links array, e.g. \"serial:/dev/ttyUSB0?baud=115200\").");
            var problems = new List<string>();
            foreach (string link in options.Links)
            {
                if (!LinkUri.TryParse(link, out _, out string? problem))
                    problems.Add($"Csa: the link '{link}' is malformed: {problem}");
            }
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }

    private sealed class NetworkValidation : IValidateOptions<DeviceNetworkOptions>
    {
        public ValidateOptionsResult Validate(string? name, DeviceNetworkOptions options) => Check(options.Validate);
    }

    private sealed class UpdatesValidation : IValidateOptions<UpdateOptions>
    {
        public ValidateOptionsResult Validate(string? name, UpdateOptions options) => Check(options.Validate);
    }

    private static ValidateOptionsResult Check(Action validate)
    {
        try
        {
            validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"Csa: {ex.Message}");
        }
    }
}
