using BenignAttention.Cli;
using BenignAttention.Configuration;
using BenignAttention.Experiments;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Xunit;

namespace BenignAttention.Tests.Architecture;

/// <summary>
/// Layers without loops (issue 8, item 3; docs/ARCHITECTURE.md). The compiled assemblies are read as IL (Mono.Cecil), so
/// every reference counts, written or not: base types, interfaces, fields, properties, events, method signatures, locals,
/// the operands of method bodies (calls, field accesses, type tokens), catch clauses, generic arguments and constraints,
/// and attributes with their type arguments. A namespace may use its own layer's namespace and those below it, nothing else.
/// </summary>
public class LayerTests
{
    /// <summary>The layers, bottom first. A namespace may reference only namespaces of strictly lower layers (and itself):
    /// siblings in one layer (Data and Model) stay independent.</summary>
    public static readonly string[][] Layers =
    [
        ["BenignAttention.Configuration", "BenignAttention.Numerics"],
        ["BenignAttention.Data", "BenignAttention.Model"],
        ["BenignAttention.Analysis"],
        ["BenignAttention.Training"],
        ["BenignAttention.Storage"],
        ["BenignAttention.Plotting"],
        ["BenignAttention.Experiments"],
        ["BenignAttention.Embeddings"],
        ["BenignAttention.Cli"],
    ];

    /// <summary>Which assembly holds which namespaces: the lean core, the outer library, the command line.</summary>
    private static readonly (System.Reflection.Assembly Assembly, string[] Namespaces)[] Assemblies =
    [
        (typeof(RunConfig).Assembly, ["BenignAttention.Configuration", "BenignAttention.Numerics", "BenignAttention.Data", "BenignAttention.Model", "BenignAttention.Analysis", "BenignAttention.Training"]),
        (typeof(ConfigLoader).Assembly, ["BenignAttention.Storage", "BenignAttention.Plotting", "BenignAttention.Experiments"]),
        (typeof(BenignAttention.Embeddings.ITextEncoder).Assembly, ["BenignAttention.Embeddings"]),
        (typeof(CliApp).Assembly, ["BenignAttention.Cli"]),
    ];

    /// <summary>Packages the core must not reference: stores, exports, figures, YAML.</summary>
    private static readonly string[] HeavyAssemblyPrefixes = ["Microsoft.Data.Sqlite", "SQLitePCLRaw", "Parquet", "SkiaSharp", "ScottPlot", "HarfBuzzSharp", "YamlDotNet", "MathNet",
        "Microsoft.ML.OnnxRuntime", "FastBertTokenizer", "MimeKit", "AngleSharp", "CsvHelper", "BenignAttention.Embeddings"];

    private static readonly Lazy<IReadOnlyList<Edge>> AllEdges = new(() => Assemblies.SelectMany(a => Edges(a.Assembly.Location)).ToArray());

    [Fact]
    public void NoNamespaceReferencesALayerAboveItOrASiblingInItsLayer()
    {
        var offending = AllEdges.Value
            .Where(e => LayerOf(e.ToNamespace) >= LayerOf(e.FromNamespace) && e.FromNamespace != e.ToNamespace)
            .Select(e => $"{e.FromType} ({e.FromNamespace}, layer {LayerOf(e.FromNamespace)}) references {e.ToType} ({e.ToNamespace}, layer {LayerOf(e.ToNamespace)})")
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.True(offending.Length == 0, "upward or sideways references across the layers of docs/ARCHITECTURE.md:\n" + string.Join("\n", offending));
    }

    [Fact]
    public void TheNamespaceGraphHasNoCycle()
    {
        var graph = AllEdges.Value.Where(e => e.FromNamespace != e.ToNamespace)
            .GroupBy(e => e.FromNamespace)
            .ToDictionary(g => g.Key, g => g.Select(e => e.ToNamespace).Distinct().ToArray());
        var cycles = new List<string>();
        foreach (string start in graph.Keys)
        {
            // A path back to start through the graph is a cycle; name one witness edge per step.
            var parent = new Dictionary<string, string> { [start] = start };
            var queue = new Queue<string>([start]);
            while (queue.Count > 0)
            {
                string at = queue.Dequeue();
                foreach (string next in graph.GetValueOrDefault(at, []))
                {
                    if (next == start)
                    {
                        var path = new List<string> { start };
                        for (string n = at; n != start; n = parent[n]) path.Insert(1, n);
                        path.Add(start);
                        cycles.Add(string.Join(" -> ", path) + ": " + string.Join("; ", path.Zip(path.Skip(1), Witness)));
                        queue.Clear();
                        break;
                    }
                    if (parent.TryAdd(next, at)) queue.Enqueue(next);
                }
            }
        }
        Assert.True(cycles.Count == 0, "namespace cycles:\n" + string.Join("\n", cycles));
    }

    [Fact]
    public void EveryNamespaceIsInADeclaredLayerAndInItsAssembly()
    {
        foreach (var (assembly, namespaces) in Assemblies)
        {
            var found = assembly.GetTypes().Select(t => t.Namespace).OfType<string>()
                .Where(n => n.StartsWith("BenignAttention", StringComparison.Ordinal))
                .Select(Group).Distinct().Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(namespaces.Order(StringComparer.Ordinal), found);
        }
        Assert.All(Assemblies.SelectMany(a => a.Namespaces), n => Assert.True(LayerOf(n) >= 0, n));
    }

    [Fact]
    public void TheCoreReferencesNoStoreFigureOrYamlPackage()
    {
        using var core = ModuleDefinition.ReadModule(typeof(RunConfig).Assembly.Location);
        var references = core.AssemblyReferences.Select(r => r.Name).ToArray();
        Assert.Contains("System.Numerics.Tensors", references);
        var heavy = references.Where(r => HeavyAssemblyPrefixes.Any(p => r.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToArray();
        Assert.True(heavy.Length == 0, "the core references " + string.Join(", ", heavy));
        Assert.DoesNotContain(references, r => r.StartsWith("BenignAttention", StringComparison.Ordinal) || r == "benign-attention");
    }

    /// <summary>Packages that only the optional real-text assembly may reference (issue 10: the library stays lean).</summary>
    private static readonly string[] RealTextAssemblyPrefixes = ["Microsoft.ML.OnnxRuntime", "FastBertTokenizer", "MimeKit", "AngleSharp", "BenignAttention.Embeddings"];

    [Fact]
    public void TheLibraryReferencesNoRealTextPackage()
    {
        using var library = ModuleDefinition.ReadModule(typeof(ConfigLoader).Assembly.Location);
        var references = library.AssemblyReferences.Select(r => r.Name).ToArray();
        Assert.Contains("BenignAttention.Core", references);
        var heavy = references.Where(r => RealTextAssemblyPrefixes.Any(p => r.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToArray();
        Assert.True(heavy.Length == 0, "the library references " + string.Join(", ", heavy));
    }

    [Fact]
    public void TheWalkSeesReferencesInBodiesSignaturesFieldsAndGenericArguments()
    {
        // Known edges of each kind, so the walk cannot silently miss one (it would then pass any layering).
        var edges = AllEdges.Value.Select(e => (e.FromType, e.ToType)).ToHashSet();
        // A method body only: Runner calls the Trainer.
        Assert.Contains(("BenignAttention.Experiments.Runner", "BenignAttention.Training.Trainer"), edges);
        // A signature: the samplers take a RunConfig.
        Assert.Contains(("BenignAttention.Data.GaussianTokenSampler", "BenignAttention.Configuration.RunConfig"), edges);
        // A generic argument: ConfigKeys.All is an IReadOnlyList<ConfigKey>; SuppliedUse holds a Func<…, SuppliedSettingRule>.
        Assert.Contains(("BenignAttention.Configuration.SuppliedUse", "BenignAttention.Configuration.SuppliedSettingRule"), edges);
        // A field or property type: RunSummary holds a StepMetrics.
        Assert.Contains(("BenignAttention.Training.RunSummary", "BenignAttention.Analysis.StepMetrics"), edges);
    }

    private static string Witness(string from, string to)
    {
        Edge edge = AllEdges.Value.First(e => e.FromNamespace == from && e.ToNamespace == to);
        return $"{edge.FromType} references {edge.ToType}";
    }

    private static int LayerOf(string ns) => Array.FindIndex(Layers, layer => layer.Contains(ns));

    /// <summary>The declared namespace a namespace belongs to: itself, or the declared one it is nested in
    /// (BenignAttention.Cli.Commands is part of BenignAttention.Cli).</summary>
    private static string Group(string ns) =>
        Layers.SelectMany(l => l).Where(d => ns == d || ns.StartsWith(d + ".", StringComparison.Ordinal)).MaxBy(d => d.Length) ?? ns;

    /// <summary>One reference from a type of ours to a type of ours (both in a BenignAttention namespace).</summary>
    public sealed record Edge(string FromType, string FromNamespace, string ToType, string ToNamespace);

    private static IEnumerable<Edge> Edges(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var edges = new List<Edge>();
        foreach (TypeDefinition type in module.GetTypes())
        {
            TypeReference outer = Outermost(type);
            if (!Ours(outer.Namespace)) continue;
            string from = Group(outer.Namespace);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (TypeReference target in References(type))
            {
                TypeReference top = Outermost(target);
                if (!Ours(top.Namespace) || !seen.Add(top.FullName)) continue;
                edges.Add(new Edge(outer.FullName, from, top.FullName, Group(top.Namespace)));
            }
        }
        return edges;
    }

    private static bool Ours(string ns) => ns == "BenignAttention" || ns.StartsWith("BenignAttention.", StringComparison.Ordinal);

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type;
    }

    /// <summary>Every type <paramref name="type"/> mentions, with generic arguments, array and pointer element types unwrapped.</summary>
    private static IEnumerable<TypeReference> References(TypeDefinition type)
    {
        var direct = new List<TypeReference?>();
        direct.Add(type.BaseType);
        direct.AddRange(type.Interfaces.Select(i => i.InterfaceType));
        direct.AddRange(Attributes(type));
        direct.AddRange(Constraints(type));
        foreach (FieldDefinition field in type.Fields)
        {
            direct.Add(field.FieldType);
            direct.AddRange(Attributes(field));
        }
        foreach (PropertyDefinition property in type.Properties)
        {
            direct.Add(property.PropertyType);
            direct.AddRange(Attributes(property));
        }
        foreach (EventDefinition @event in type.Events)
        {
            direct.Add(@event.EventType);
            direct.AddRange(Attributes(@event));
        }
        foreach (MethodDefinition method in type.Methods)
        {
            direct.Add(method.ReturnType);
            direct.AddRange(Attributes(method));
            direct.AddRange(Attributes(method.MethodReturnType));
            direct.AddRange(Constraints(method));
            foreach (ParameterDefinition parameter in method.Parameters)
            {
                direct.Add(parameter.ParameterType);
                direct.AddRange(Attributes(parameter));
            }
            if (!method.HasBody) continue;
            direct.AddRange(method.Body.Variables.Select(v => v.VariableType));
            direct.AddRange(method.Body.ExceptionHandlers.Select(h => h.CatchType));
            foreach (Instruction instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        direct.Add(t);
                        break;
                    case MethodReference m:
                        direct.AddRange(Signature(m));
                        break;
                    case FieldReference f:
                        direct.Add(f.DeclaringType);
                        direct.Add(f.FieldType);
                        break;
                }
            }
        }
        return direct.OfType<TypeReference>().SelectMany(Unwrap);
    }

    private static IEnumerable<TypeReference> Signature(MethodReference method)
    {
        yield return method.DeclaringType;
        yield return method.ReturnType;
        foreach (ParameterDefinition p in method.Parameters) yield return p.ParameterType;
        if (method is GenericInstanceMethod generic)
            foreach (TypeReference a in generic.GenericArguments) yield return a;
    }

    private static IEnumerable<TypeReference> Constraints(IGenericParameterProvider provider) =>
        provider.GenericParameters.SelectMany(g => g.Constraints.Select(c => c.ConstraintType).Concat(Attributes(g)));

    private static IEnumerable<TypeReference> Attributes(ICustomAttributeProvider provider) =>
        provider.CustomAttributes.SelectMany(a =>
            new[] { a.AttributeType }
                .Concat(a.ConstructorArguments.Concat(a.Fields.Select(f => f.Argument)).Concat(a.Properties.Select(p => p.Argument))
                    .SelectMany(arg => arg.Value is CustomAttributeArgument[] items ? items.Select(i => i.Value) : [arg.Value])
                    .OfType<TypeReference>()));

    private static IEnumerable<TypeReference> Unwrap(TypeReference type)
    {
        switch (type)
        {
            case GenericParameter:
                yield break;
            case GenericInstanceType generic:
                foreach (TypeReference t in Unwrap(generic.ElementType)) yield return t;
                foreach (TypeReference t in generic.GenericArguments.SelectMany(Unwrap)) yield return t;
                yield break;
            case FunctionPointerType pointer:
                foreach (TypeReference t in Unwrap(pointer.ReturnType)) yield return t;
                foreach (TypeReference t in pointer.Parameters.SelectMany(p => Unwrap(p.ParameterType))) yield return t;
                yield break;
            case TypeSpecification spec:
                // Arrays, by-refs, pointers, modifiers, pinned and sentinel types: the element type counts.
                foreach (TypeReference t in Unwrap(spec.ElementType)) yield return t;
                yield break;
            default:
                yield return type;
                yield break;
        }
    }
}
