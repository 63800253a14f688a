using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>The update workflows' log messages (source-generated).</summary>
internal static partial class UpdateLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Link {Link}: {Count} device(s) found")]
    public static partial void LinkDiscovered(ILogger logger, string link, int count);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Device at {Address} on link {Link} does not answer its RPCs and is left out: {Reason}")]
    public static partial void DeviceSilent(ILogger logger, string address, string link, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Reopening link {Link} ({Reason})")]
    public static partial void LinkReopening(ILogger logger, string link, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Device {Uid} not found")]
    public static partial void DeviceNotFound(ILogger logger, string uid);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Device {Uid}: {Stage}")]
    public static partial void StageEntered(ILogger logger, string uid, UpdateStage stage);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Device {Uid}: offering {Image} to {Target}; the device resumes at {ResumeOffset} of {PayloadSize} bytes")]
    public static partial void Offered(ILogger logger, string uid, string image, string target, uint resumeOffset, uint payloadSize);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "Device {Uid}: fault while {Stage} ({Reason}); resume attempt {Attempt} of {MaxAttempts}")]
    public static partial void Resuming(ILogger logger, Exception exception, string uid, UpdateStage stage, string reason, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Warning, Message = "Device {Uid}: the image was refused ({Reason})")]
    public static partial void Rejected(ILogger logger, string uid, string reason);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Information, Message = "Device {Uid}: {Target} now runs {Version}; {BytesSent} bytes sent, {BytesResumed} resumed, {ResumeCount} resume(s)")]
    public static partial void Completed(ILogger logger, string uid, string target, string version, long bytesSent, long bytesResumed, int resumeCount);

    [LoggerMessage(EventId = 4015, Level = LogLevel.Warning, Message = "Device {Uid}: cancelled while {Stage}; {Outcome}")]
    public static partial void Cancelled(ILogger logger, string uid, UpdateStage stage, string outcome);

    [LoggerMessage(EventId = 4016, Level = LogLevel.Warning, Message = "Device {Uid}: install failed: {Reason}")]
    public static partial void InstallFailed(ILogger logger, string uid, string reason);

    [LoggerMessage(EventId = 4017, Level = LogLevel.Information, Message = "Group {Group}: {Members} device(s) take {Bytes} payload bytes from offset {Start} in writes of {Chunk} bytes")]
    public static partial void GroupStarted(ILogger logger, string group, int members, int bytes, int start, int chunk);

    [LoggerMessage(EventId = 4018, Level = LogLevel.Warning, Message = "Group {Group}: device {Uid} left the transfer ({Reason}); it finishes by itself")]
    public static partial void GroupMemberDropped(ILogger logger, Exception? error, string group, string uid, string reason);

    [LoggerMessage(EventId = 4019, Level = LogLevel.Information, Message = "Group {Group}: repair round {Round}: {Blocks} block(s) missing somewhere, {ToGroup} sent to the group, {Unicast} to one device")]
    public static partial void GroupRepair(ILogger logger, string group, int round, int blocks, int toGroup, int unicast);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "Group {Group}: device {Uid} holds the whole payload")]
    public static partial void GroupMemberComplete(ILogger logger, string group, string uid);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Debug, Message = "Group {Group}: the writes waited {Milliseconds} ms for the buffers of {Devices}")]
    public static partial void GroupWaited(ILogger logger, string group, long milliseconds, string devices);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Debug, Message = "Group {Group}: {Device} answered Busy to the write at {Offset}; it gets it again by its own address")]
    public static partial void GroupWriteBusy(ILogger logger, string group, string device, int offset);

    [LoggerMessage(EventId = 4023, Level = LogLevel.Information, Message = "Group {Group}: {Device} has not answered the write at {Offset} within {Milliseconds} ms; resent by its own address (attempt {Attempt})")]
    public static partial void GroupWriteResent(ILogger logger, string group, string device, int offset, long milliseconds, int attempt);

    [LoggerMessage(EventId = 4024, Level = LogLevel.Information, Message = "Device {Uid}: above its {ResumeOffset}-byte prefix it holds {Held} bytes; {Missing} bytes in {Runs} run(s) are written")]
    public static partial void HolesOnResume(ILogger logger, string uid, uint resumeOffset, long held, long missing, int runs);
}
