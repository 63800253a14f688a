// Host your own RPC server: docs/rpc-interfaces.md section 9.
//
//   dotnet run --project samples/HostRpcServer                                   both ends in this process, in memory
//   dotnet run --project samples/HostRpcServer -- serve tcp://127.0.0.1:5100     the device, listening on TCP
//   dotnet run --project samples/HostRpcServer -- serve serial:/dev/ttyUSB0?baud=115200
//   dotnet run --project samples/HostRpcServer -- call tcp://127.0.0.1:5100      the host, against either device
using System.Net;
using Csa.DataLink.Transports;
using HostRpcServer;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    switch (args)
    {
        case []:
        {
            (InMemoryTransport deviceEnd, InMemoryTransport hostEnd) = InMemoryTransport.CreatePair("thermometer");
            await using ThermometerDevice device = ThermometerDevice.Start(deviceEnd);
            await ThermometerHost.RunSessionAsync(hostEnd, Console.Out, stop.Token);
            return 0;
        }
        case ["serve", string uri]:
        {
            LinkUri link = LinkUri.Parse(uri);
            if (link.Scheme == "tcp")
            {
                var endPoint = new IPEndPoint(IPAddress.Parse(link.Host), link.Port ?? 5100);
                await ThermometerDevice.ServeTcpAsync(endPoint, bound => Console.WriteLine($"serving the Thermometer interface on tcp://{bound}; Ctrl+C stops"), stop.Token);
                return 0;
            }

            // Any other scheme (serial:, or one an application registered) is a link the device end opens itself.
            await using ThermometerDevice device = ThermometerDevice.Start(await TransportFactory.ConnectAsync(link, stop.Token));
            Console.WriteLine($"serving the Thermometer interface on {uri}; Ctrl+C stops");
            await Task.WhenAny(device.Completion, Task.Delay(Timeout.Infinite, stop.Token));
            return 0;
        }
        case ["call", string uri]:
            await ThermometerHost.RunSessionAsync(await TransportFactory.ConnectAsync(uri, stop.Token), Console.Out, stop.Token);
            return 0;
        default:
            Console.Error.WriteLine("usage: HostRpcServer [serve URI | call URI]   (no arguments: both ends in memory)");
            return 2;
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 130;
}
