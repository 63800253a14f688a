namespace Csa.Simulator.Device.Internal;

/// <summary>Someone waiting for the device to reach a state.</summary>
internal sealed record StateWaiter(VirtualDeviceState State, TaskCompletionSource Completion);
