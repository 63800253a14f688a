using Csa.Bootloader.Updates;
using Csa.DataLink.Transports;
using Csa.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Csa SDK in a service collection.</summary>
public static class CsaServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="CsaDevices"/> (a singleton) with its options bound from <paramref name="configuration"/>:
    /// <c>Links</c> (link URIs) to <see cref="CsaDevicesOptions"/>, <c>Network</c> to <see cref="DeviceNetworkOptions"/>,
    /// <c>Updates</c> to <see cref="UpdateOptions"/> (durations as <c>"00:00:02"</c>). The SDK logs through the
    /// container's <see cref="ILoggerFactory"/> when there is one. Options not in the configuration keep their defaults;
    /// <c>services.Configure&lt;UpdateOptions&gt;(o =&gt; o.TrustedVerifiers.Add(...))</c> adds what configuration cannot hold.
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

    private static void AddCore(IServiceCollection services)
    {
        services.AddOptions();
        services.TryAddSingleton<CsaDevices>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CsaDevicesOptions>, LinksValidation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeviceNetworkOptions>, NetworkValidation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpdateOptions>, UpdatesValidation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<DeviceNetworkOptions>, UseContainerLogging>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<UpdateOptions>, UseContainerLogging>());
    }

    /// <summary>The container's logger factory for the SDK, unless the options name one already.</summary>
    private sealed class UseContainerLogging(IServiceProvider provider) : IPostConfigureOptions<DeviceNetworkOptions>, IPostConfigureOptions<UpdateOptions>
    {
        public void PostConfigure(string? name, DeviceNetworkOptions options)
        {
            if (options.LoggerFactory is Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory && provider.GetService<ILoggerFactory>() is { } factory)
                options.LoggerFactory = factory;
        }

        public void PostConfigure(string? name, UpdateOptions options)
        {
            if (options.LoggerFactory is Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory && provider.GetService<ILoggerFactory>() is { } factory)
                options.LoggerFactory = factory;
        }
    }

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
