namespace BenignAttention.Configuration;

/// <summary>
/// A configuration value (from a preset, YAML file, JSON file or <c>key=value</c> override) that is
/// unknown, cannot be parsed, or lies outside its allowed range. The message always names the key,
/// the offending value and the allowed range, e.g. <c>noise_ratio = 1.5 is out of range: must be in [0, 1)</c>.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>
    /// Creates the standard out-of-range error, with message
    /// <c>{key} = {value} is out of range: must be {allowedRange}</c>.
    /// </summary>
    /// <param name="key">The config key (or <c>preset</c>, or the offending override text).</param>
    /// <param name="value">The rejected value as text.</param>
    /// <param name="allowedRange">Human-readable allowed range, e.g. <c>in [0, 1)</c>.</param>
    public ConfigException(string key, string value, string allowedRange)
        : this(key, value, allowedRange, $"{key} = {value} is out of range: must be {allowedRange}")
    {
    }

    /// <summary>Creates an error with a custom message (which should contain <paramref name="allowedRange"/>).</summary>
    /// <param name="key">The config key (or <c>preset</c>, or the offending override text).</param>
    /// <param name="value">The rejected value as text.</param>
    /// <param name="allowedRange">Human-readable allowed range or form.</param>
    /// <param name="message">The full message.</param>
    /// <param name="innerException">The underlying parser error, if any.</param>
    public ConfigException(string key, string value, string allowedRange, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Key = key;
        Value = value;
        AllowedRange = allowedRange;
    }

    /// <summary>The config key the error is about, exactly as written by the user.</summary>
    public string Key { get; }

    /// <summary>The rejected value as text (empty when there was none).</summary>
    public string Value { get; }

    /// <summary>The allowed range or form of the value, as shown in the message.</summary>
    public string AllowedRange { get; }
}
