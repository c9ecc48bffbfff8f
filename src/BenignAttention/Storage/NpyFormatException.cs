namespace BenignAttention.Storage;

/// <summary>
/// A .npy/.npz file (or stream) is malformed, uses a feature this reader does not support
/// (big-endian data, Fortran order, an unsupported dtype), or does not have the expected shape.
/// The message always starts with the file name or path given to the reader.
/// </summary>
public sealed class NpyFormatException : Exception
{
    /// <summary>Creates an exception with a generic message.</summary>
    public NpyFormatException() : base("invalid .npy data") { }

    /// <summary>Creates an exception with the given complete message.</summary>
    public NpyFormatException(string message) : base(message) { }

    /// <summary>Creates an exception with the given complete message and inner cause.</summary>
    public NpyFormatException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates an exception whose message is <c>"{fileName}: {detail}"</c>.</summary>
    /// <param name="fileName">Path or display name of the offending file (kept in <see cref="FileName"/>).</param>
    /// <param name="detail">What is wrong.</param>
    /// <param name="innerException">Optional underlying cause.</param>
    public NpyFormatException(string fileName, string detail, Exception? innerException = null)
        : base($"{fileName}: {detail}", innerException)
    {
        FileName = fileName;
    }

    /// <summary>Path or display name of the offending file, when known.</summary>
    public string? FileName { get; }
}
