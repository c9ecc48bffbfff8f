namespace BenignAttention.Cli;

/// <summary>The exit codes of <c>benign-attention</c>, the same for every command.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A run could not be completed for another reason than divergence (e.g. an output cannot be written).</summary>
    public const int RunFailed = 1;
    /// <summary>Bad input: unknown command, option or key, value out of range, unreadable data, bad arguments.</summary>
    public const int BadInput = 2;
    /// <summary>Training diverged: the loss or ‖p‖ became non-finite after an update (lower learning_rate).</summary>
    public const int Diverged = 3;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, the shell convention).</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM (128 + SIGTERM), e.g. <c>kill PID</c>; handled like Ctrl-C.</summary>
    public const int Terminated = 143;
}
