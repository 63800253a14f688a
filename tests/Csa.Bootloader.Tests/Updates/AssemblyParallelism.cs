// The update tests run whole virtual devices (flash, firmware, data link, RPC) and their timeouts assume the devices
// get CPU time: on a shared 2-core machine, two test classes at a time keeps them responsive. (Timeouts in these tests
// are protocol timeouts and hang guards, never performance assertions.)
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
