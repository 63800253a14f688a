using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
[Trait("Requirement", "REQ-RECOVER")]
public sealed class RpcLossyLinkTests
{
    // Real time, small timeouts: the lossy network drops packets, and only the client's timeout can notice.
    // Nothing here asserts on elapsed time; 40 attempts make a false timeout practically impossible (0.36^40).
    private static RpcClientOptions LossyClient => new() { DefaultTimeout = TimeSpan.FromMilliseconds(60), MaxAttempts = 40, RetryDelay = TimeSpan.FromMilliseconds(1) };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task With_20_percent_loss_and_duplication_every_result_is_right_and_every_command_ran_exactly_once(int seed)
    {
        await RunLossyAsync(seed, calls: 200);
    }

    [Theory]
    [Trait("Category", "Exhaustive")]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task Exhaustive_loss_and_duplication_with_thousands_of_calls(int seed)
    {
        await RunLossyAsync(seed, calls: 2000);
    }

    private static async Task RunLossyAsync(int seed, int calls)
    {
        await using var bed = new RpcTestBed(
            network: new FakeNetworkOptions { Seed = seed, LossRate = 0.2, DuplicationRate = 0.2, MaxDelay = TimeSpan.FromMilliseconds(3) },
            client: LossyClient,
            receiveBuffers: 4);

        Task<IncrementResponse>[] increments = Enumerable.Range(1, calls)
            .Select(tag => bed.CallAsync<IncrementRequest, IncrementResponse>(TestService.Increment, new IncrementRequest((uint)tag, (uint)tag)))
            .ToArray();
        Task<U32Message>[] echoes = Enumerable.Range(1, calls / 4)
            .Select(i => bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message((uint)i)))
            .ToArray();
        IncrementResponse[] results = await Task.WhenAll(increments).WaitAsync(TimeSpan.FromMinutes(2));
        U32Message[] echoed = await Task.WhenAll(echoes).WaitAsync(HangGuard);

        for (int i = 0; i < results.Length; i++)
            Assert.Equal((uint)(i + 1), results[i].CallTag);
        for (int i = 0; i < echoed.Length; i++)
            Assert.Equal((uint)(i + 2), echoed[i].Value);

        // Exactly once: each non-idempotent increment ran one time, so the counter is the exact sum.
        Assert.Equal(calls, bed.Service.IncrementsByTag.Count);
        Assert.All(bed.Service.IncrementsByTag.Values, n => Assert.Equal(1, n));
        Assert.Equal((ulong)calls * (ulong)(calls + 1) / 2, bed.Service.Counter);
        // Each running total was seen by exactly one call.
        Assert.Equal(calls, results.Select(r => r.Total).Distinct().Count());

        // The network really was hostile and the cache really did the work.
        RpcServerStatistics stats = bed.Server.GetStatistics();
        Assert.True(bed.Network.PacketsDropped > 0);
        Assert.True(bed.Network.PacketsDuplicated > 0);
        Assert.True(stats.AnswersReplayed > 0, $"replayed {stats.AnswersReplayed}");
        Assert.Equal(calls + (calls / 4), stats.CommandsExecuted);
    }
}
