using System.Text.Json;
using Csa.Cli.Profiles;

namespace Csa.Cli.Tests;

/// <summary>
/// Connection profiles (<c>csa profile</c>, <c>--profile</c>, <c>CSA_LINK</c>, <c>CSA_PROFILE</c>, the default profile),
/// each run with its own <c>XDG_CONFIG_HOME</c> in a scratch folder, so the user's own profiles are never read or written.
/// </summary>
public sealed class ProfileCommandTests : PersistedBenchTests
{
    private string ProfilesFile => Path.Combine(Scratch, "config", "csa", "profiles.json");

    private IDisposable Environment(string? link = null, string? profile = null) => CliEnvironment.Override(new Dictionary<string, string?>
    {
        ["XDG_CONFIG_HOME"] = Path.Combine(Scratch, "config"),
        ["CSA_LINK"] = link,
        ["CSA_PROFILE"] = profile,
    });

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task AProfile_GivesDeviceCommandsTheirLinkAndTimeouts_AndTheCommandLineWins()
    {
        string link = await CreateAsync(2);
        using IDisposable _ = Environment();
        CliRun add = await CliRunner.RunAsync("profile", "add", "bench", "--link", link, "--timeout", "1500ms", "--retries", "4", "--default", "--json");
        Assert.True(add.ExitCode == ExitCodes.Success, add.ToString());
        Assert.Equal(ProfilesFile, add.Json().GetProperty("file").GetString());
        using (JsonDocument file = JsonDocument.Parse(await File.ReadAllTextAsync(ProfilesFile)))
        {
            Assert.Equal("bench", file.RootElement.GetProperty("default").GetString());
            Assert.Equal(4, file.RootElement.GetProperty("profiles").GetProperty("bench").GetProperty("retries").GetInt32());
        }

        // --profile, then the default profile when nothing names a link: the same two devices.
        CliRun named = await CliRunner.RunAsync("devices", "--json", "--profile", "bench");
        Assert.True(named.ExitCode == ExitCodes.Success, named.ToString());
        Assert.Equal(2, named.Json().GetProperty("devices").GetArrayLength());
        CliRun byDefault = await CliRunner.RunAsync("info", "--json", "--device", "0x02");
        Assert.True(byDefault.ExitCode == ExitCodes.Success, byDefault.ToString());

        // The profile's values, unless the command line gives its own.
        var options = new Csa.Cli.Devices.DeviceOptions();
        var command = options.AddTo(new System.CommandLine.Command("probe"));
        var settings = options.Read(command.Parse(["--profile", "bench"]));
        Assert.Equal((TimeSpan.FromMilliseconds(1500), 5, "bench"), (settings.CommandTimeout, settings.CommandAttempts, settings.Profile));
        var overridden = options.Read(command.Parse(["--profile", "bench", "--timeout", "3s", "--retries", "0", "--link", "tcp://127.0.0.1:9"]));
        Assert.Equal((TimeSpan.FromSeconds(3), 1), (overridden.CommandTimeout, overridden.CommandAttempts));
        Assert.Equal(["tcp://127.0.0.1:9"], overridden.Links);
    }

    [Fact]
    public async Task CsaLink_ComesBeforeTheDefaultProfile_AndAfterTheCommandLine_CsaProfileNamesOne()
    {
        using (Environment())
        {
            var store = ProfileStore.Load();
            store.Profiles["a"] = new ConnectionProfile(["tcp://127.0.0.1:1001"], Timeout: "2s");
            store.Profiles["b"] = new ConnectionProfile(["serial:/dev/ttyUSB3", "serial:/dev/ttyUSB4?baud=9600"], Baud: 921600);
            store.DefaultName = "a";
            await store.SaveAsync(CancellationToken.None);
        }
        var options = new Csa.Cli.Devices.DeviceOptions();
        var command = options.AddTo(new System.CommandLine.Command("probe"));
        using (Environment())
            Assert.Equal(["tcp://127.0.0.1:1001"], options.Read(command.Parse([])).Links);
        using (Environment(link: "tcp://127.0.0.1:2002 tcp://127.0.0.1:2003"))
        {
            Csa.Cli.Devices.LinkSettings fromVariable = options.Read(command.Parse([]));
            Assert.Equal(["tcp://127.0.0.1:2002", "tcp://127.0.0.1:2003"], fromVariable.Links);
            Assert.Equal(TimeSpan.FromSeconds(1), fromVariable.CommandTimeout); // no profile in use: the defaults
            Assert.Equal(["tcp://127.0.0.1:3003"], options.Read(command.Parse(["--link", "tcp://127.0.0.1:3003"])).Links);
            // The profile's baud goes to its serial links that name none.
            Assert.Equal(["serial:/dev/ttyUSB3?baud=921600", "serial:/dev/ttyUSB4?baud=9600"], options.Read(command.Parse(["--profile", "b"])).Links);
        }
        using (Environment(profile: "b"))
            Assert.Equal("b", options.Read(command.Parse([])).Profile);
    }

    [Fact]
    public async Task ProfileList_Show_Remove_AndNoLinkAtAll_IsAUsageErrorThatSaysWhereLinksComeFrom()
    {
        using IDisposable _ = Environment();
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("profile", "add", "line-3", "-l", "tcp://10.0.0.7:5000", "--connect-timeout", "2s")).ExitCode);
        CliRun list = await CliRunner.RunAsync("profile", "list", "--json");
        Assert.Equal("line-3", Assert.Single(list.Json().GetProperty("profiles").EnumerateArray().ToArray()).GetProperty("name").GetString());
        CliRun show = await CliRunner.RunAsync("profile", "show", "LINE-3", "--json");
        Assert.True(show.ExitCode == ExitCodes.Success, show.ToString());
        Assert.Equal("2s", show.Json().GetProperty("profile").GetProperty("connectTimeout").GetString());
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("profile", "remove", "line-3")).ExitCode);

        CliRun none = await CliRunner.RunAsync("devices", "--json");
        Assert.Equal(ExitCodes.Usage, none.ExitCode);
        string message = none.Json().GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("--link", message);
        Assert.Contains("--profile", message);
        Assert.Contains("CSA_LINK", message);
    }

    [Fact]
    public async Task BadProfiles_AreTypedErrors_AndTheFileIsLeftAsItWas()
    {
        using IDisposable _ = Environment();
        CliRun badLink = await CliRunner.RunAsync("profile", "add", "x", "--link", "carrier-pigeon");
        Assert.Equal(ExitCodes.Usage, badLink.ExitCode);
        Assert.False(File.Exists(ProfilesFile));
        CliRun badName = await CliRunner.RunAsync("profile", "add", "a b", "--link", "tcp://127.0.0.1:1");
        Assert.Equal(ExitCodes.Usage, badName.ExitCode);
        CliRun badTimeout = await CliRunner.RunAsync("profile", "add", "x", "--link", "tcp://127.0.0.1:1", "--timeout", "later");
        Assert.Equal(ExitCodes.Usage, badTimeout.ExitCode);
        Assert.False(File.Exists(ProfilesFile));

        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("profile", "add", "x", "--link", "tcp://127.0.0.1:1")).ExitCode);
        string before = await File.ReadAllTextAsync(ProfilesFile);
        CliRun again = await CliRunner.RunAsync("profile", "add", "x", "--link", "tcp://127.0.0.1:2");
        Assert.Equal(ExitCodes.Usage, again.ExitCode);
        Assert.Contains("--force", again.Error);
        Assert.Equal(before, await File.ReadAllTextAsync(ProfilesFile));

        CliRun unknown = await CliRunner.RunAsync("devices", "--profile", "nope");
        Assert.Equal(ExitCodes.Usage, unknown.ExitCode);
        Assert.Contains("profiles: x", unknown.Error);

        await File.WriteAllTextAsync(ProfilesFile, """{ "version": 1, "profiles": { "x": { "links": ["tcp://127.0.0.1:1"], "timout": "2s" } } }""");
        CliRun malformed = await CliRunner.RunAsync("devices", "--json", "--profile", "x");
        Assert.Equal(ExitCodes.InvalidInput, malformed.ExitCode);
        Assert.Contains("unknown field 'timout'", malformed.Json().GetProperty("error").GetProperty("message").GetString());
        await File.WriteAllTextAsync(ProfilesFile, "{ not json");
        Assert.Equal(ExitCodes.InvalidInput, (await CliRunner.RunAsync("profile", "list")).ExitCode);
    }
}
