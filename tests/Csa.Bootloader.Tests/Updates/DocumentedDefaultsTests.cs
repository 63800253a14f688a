using System.Globalization;
using System.Text.RegularExpressions;
using Csa.Bootloader.Updates;
using Csa.DataLink;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// The waits docs/protocol.md and docs/updates.md give a third-party host to copy are the SDK's defaults: the numbers are
/// read from the documents and compared with the options' constructors, so neither side can drift alone.
/// </summary>
public sealed partial class DocumentedDefaultsTests
{
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void The_assign_answer_wait_of_protocol_md_7_4_is_the_sdk_default_of_DataLinkNode_and_of_DeviceNetwork()
    {
        string protocol = Read("protocol.md");
        Match wait = AssignWait().Match(protocol);
        Assert.True(wait.Success, "protocol.md 7.4 no longer says how long the SDK waits for an assign answer");

        Assert.Equal(new DataLinkNodeOptions().LinkManagementTimeout, Seconds(wait.Groups["node"].Value));
        Assert.Equal(new DeviceNetworkOptions().LinkManagementTimeout, Seconds(wait.Groups["network"].Value));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void The_link_management_defaults_of_protocol_md_10_and_updates_md_14_are_the_options_defaults()
    {
        Match node = NodeDefaults().Match(Read("protocol.md"));
        Assert.True(node.Success, "protocol.md 10 no longer lists the link-management timeout and attempts");
        var nodeOptions = new DataLinkNodeOptions();
        Assert.Equal(nodeOptions.LinkManagementTimeout, Seconds(node.Groups["timeout"].Value));
        Assert.Equal(nodeOptions.LinkManagementAttempts, int.Parse(node.Groups["attempts"].Value, CultureInfo.InvariantCulture));

        Match network = NetworkDefaults().Match(Read("updates.md"));
        Assert.True(network.Success, "updates.md no longer lists DeviceNetworkOptions.LinkManagementTimeout");
        Assert.Equal(new DeviceNetworkOptions().LinkManagementTimeout, TimeSpan.FromMilliseconds(int.Parse(network.Groups["ms"].Value, CultureInfo.InvariantCulture)));
    }

    private static TimeSpan Seconds(string text) => TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"waits its link-management timeout: (?<node>\d+(\.\d+)?) s in a bare\s+`DataLinkNode`.*?; (?<network>\d+(\.\d+)?) s in a `DeviceNetwork`", RegexOptions.Singleline)]
    private static partial Regex AssignWait();

    [GeneratedRegex(@"link-management timeout (?<timeout>\d+(\.\d+)?) s per attempt with (?<attempts>\d+) attempts")]
    private static partial Regex NodeDefaults();

    [GeneratedRegex(@"`DeviceNetworkOptions`:.*?`LinkManagementTimeout`\s+(?<ms>\d+) ms", RegexOptions.Singleline)]
    private static partial Regex NetworkDefaults();

    private static string Read(string document) => File.ReadAllText(RepositoryFiles.Doc(document));
}
