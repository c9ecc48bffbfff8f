namespace BenignAttention.Experiments;

/// <summary>
/// A request the library refuses before doing anything (an impossible combination of settings, a list that
/// does not parse, a run that would not fit in memory, a folder that cannot be used). The message names the
/// setting or folder in the library's words ("output folder …", "c values …"); the command line exits with code 2.
/// </summary>
public sealed class UsageException(string message) : Exception(message);
