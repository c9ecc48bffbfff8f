using System.Text;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Xunit;

namespace BenignAttention.Tests.Storage;

/// <summary>
/// One atomic file writer (issue 8, item 4): <see cref="AtomicFolder.WriteFile(string, Action{Stream})"/> and its async
/// form replace a file whole or not at all, leave no temporary file behind, and are the only code that renames files.
/// </summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ba-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Leftovers() => Directory.GetFiles(_dir).Select(Path.GetFileName).Where(n => n!.StartsWith('.')).ToArray()!;

    [Fact]
    public void WriteFileReplacesTheWholeFileAndLeavesNoTemporary()
    {
        string path = Path.Combine(_dir, "sub", "a.txt");
        AtomicFolder.WriteFile(path, Encoding.UTF8.GetBytes("a much longer first content"));
        AtomicFolder.WriteFile(path, stream => stream.Write("short"u8));
        Assert.Equal("short", File.ReadAllText(path));
        // A writer may close the stream it is given (a StreamWriter does); the file is still synced and renamed.
        AtomicFolder.WriteFile(path, stream =>
        {
            using var writer = new StreamWriter(stream);
            writer.Write("closed by its writer");
        });
        Assert.Equal("closed by its writer", File.ReadAllText(path));
        Assert.Equal(["a.txt"], Directory.GetFiles(Path.Combine(_dir, "sub")).Select(Path.GetFileName));
    }

    [Fact]
    public void AFailingWriteKeepsTheOldFileAndRemovesItsTemporary()
    {
        string path = Path.Combine(_dir, "a.txt");
        File.WriteAllText(path, "old");
        var error = Assert.Throws<InvalidOperationException>(() => AtomicFolder.WriteFile(path, stream =>
        {
            stream.Write("half of the ne"u8);
            throw new InvalidOperationException("writer failed");
        }));
        Assert.Equal("writer failed", error.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task ACancelledAsyncWriteKeepsTheOldFileAndRemovesItsTemporary()
    {
        string path = Path.Combine(_dir, "a.parquet");
        File.WriteAllText(path, "old");
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFolder.WriteFileAsync(path, async stream =>
        {
            await stream.WriteAsync("new"u8.ToArray());
            await cancel.CancelAsync();
        }, cancel.Token));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Empty(Leftovers());

        await AtomicFolder.WriteFileAsync(path, stream => stream.WriteAsync("new"u8.ToArray()).AsTask());
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void OnlyTheAtomicWriterRenamesFiles()
    {
        // Read from the IL: every method of the library and the tool that calls File.Move (a temp-then-rename writer).
        var callers = new[] { typeof(ConfigLoader).Assembly, typeof(RunConfig).Assembly, typeof(BenignAttention.Cli.CliApp).Assembly }
            .SelectMany(a => CallersOf(a.Location, "System.IO.File", "Move"))
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        // Both writers (WriteFile and WriteFileAsync) end in the one MoveIntoPlace.
        Assert.Equal(["BenignAttention.Storage.AtomicFolder.MoveIntoPlace"], callers);
    }

    internal static IEnumerable<string> CallersOf(string assemblyPath, string typeName, string methodName)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var found = new List<string>();
        foreach (var type in module.GetTypes())
            foreach (var method in type.Methods.Where(m => m.HasBody))
                if (method.Body.Instructions.Any(i => i.Operand is MethodReference m && m.DeclaringType.FullName == typeName && m.Name == methodName))
                    found.Add($"{type.FullName}.{method.Name}");
        return found;
    }
}
