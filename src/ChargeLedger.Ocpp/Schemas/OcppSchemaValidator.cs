using System.Collections.Frozen;
using System.Text.Json;
using ChargeLedger.Ocpp.Framing;
using Json.Pointer;
using Json.Schema;

namespace ChargeLedger.Ocpp.Schemas;

/// <summary>
/// Validates OCPP payloads against the OCA JSON schemas (embedded <c>ocpp1_6.json</c>). Schemas are built once;
/// instances are immutable and safe to share across threads. A payload is accepted by the compiled schemas
/// (<see cref="SchemaCompiler"/>), which cost no allocation; JsonSchema.Net names the failure of a rejected one.
/// </summary>
public sealed class OcppSchemaValidator
{
    public const int MaxDescriptionLength = 200;

    private const int MaxPointerLength = 100;

    private static readonly Lazy<OcppSchemaValidator> Ocpp16Instance =
        new(() => FromEmbeddedResource("ChargeLedger.Ocpp.Schemas.ocpp1_6.json"), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FrozenDictionary<string, CompiledSchema> requests;
    private readonly FrozenDictionary<string, CompiledSchema> responses;

    // The List pass names the failure of an invalid payload; the Flag pass is the reference the compiled schemas are
    // tested against.
    private readonly EvaluationOptions quickOptions;
    private readonly EvaluationOptions detailedOptions;

    private OcppSchemaValidator(JsonElement schemaArray)
    {
        var buildOptions = new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft07 };
        var requestSchemas = new Dictionary<string, CompiledSchema>(StringComparer.Ordinal);
        var responseSchemas = new Dictionary<string, CompiledSchema>(StringComparer.Ordinal);
        foreach (var element in schemaArray.EnumerateArray())
        {
            // JsonSchema.Net 8 keeps the JsonElement it was built from (keyword values are read at evaluation),
            // so each schema gets its own clone that outlives the resource's pooled JsonDocument.
            var source = element.Clone();
            var id = source.GetProperty("$id").GetString()
                ?? throw new InvalidOperationException("An OCPP schema has no $id.");
            var compiled = new CompiledSchema(JsonSchema.Build(source, buildOptions), SchemaCompiler.Compile(source), source);
            if (TryAction(id, ".req", out var action))
            {
                requestSchemas.Add(action, compiled);
            }
            else if (TryAction(id, ".conf", out action))
            {
                responseSchemas.Add(action, compiled);
            }
            else
            {
                throw new InvalidOperationException($"OCPP schema id '{id}' is not urn:<Action>.req or urn:<Action>.conf.");
            }
        }

        requests = requestSchemas.ToFrozenDictionary(StringComparer.Ordinal);
        responses = responseSchemas.ToFrozenDictionary(StringComparer.Ordinal);

        // Draft-07 treats "format" as an annotation unless validation is required. The library's own date-time
        // check also accepts a space or '_' separator; ours is RFC 3339 §5.6 as System.Text.Json reads it, so a
        // schema-valid payload always deserialises.
        var formats = new FormatRegistry();
        formats.Register(new PredicateFormat("date-time", Rfc3339DateTime.IsValid));
        quickOptions = new EvaluationOptions { OutputFormat = OutputFormat.Flag, RequireFormatValidation = true, FormatRegistry = formats };
        detailedOptions = new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true, FormatRegistry = formats };
    }

    /// <summary>The OCPP 1.6 schema set, built on first use.</summary>
    public static OcppSchemaValidator Ocpp16 => Ocpp16Instance.Value;

    public bool HasAction(string action) => requests.ContainsKey(action) || responses.ContainsKey(action);

    /// <summary>Validates a CALL payload; null when valid.</summary>
    public SchemaViolation? ValidateRequest(string action, JsonElement payload) => Validate(requests, action, payload);

    /// <summary>Validates a CALLRESULT payload; null when valid.</summary>
    public SchemaViolation? ValidateResponse(string action, JsonElement payload) => Validate(responses, action, payload);

    /// <summary>Every schema with its action and direction, for the differential tests.</summary>
    internal IEnumerable<(string Action, bool IsResponse, JsonElement Source)> Schemas =>
        requests.Select(r => (r.Key, false, r.Value.Source)).Concat(responses.Select(r => (r.Key, true, r.Value.Source)));

    internal bool IsValidCompiled(string action, bool isResponse, JsonElement payload) =>
        (isResponse ? responses : requests)[action].Node.IsValid(payload);

    /// <summary>JsonSchema.Net's verdict as configured here: the reference for <see cref="IsValidCompiled"/>.</summary>
    internal bool IsValidByJsonSchemaNet(string action, bool isResponse, JsonElement payload) =>
        (isResponse ? responses : requests)[action].Schema.Evaluate(payload, quickOptions).IsValid;

    private static OcppSchemaValidator FromEmbeddedResource(string name)
    {
        using var stream = typeof(OcppSchemaValidator).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing.");
        using var document = JsonDocument.Parse(stream);
        return new OcppSchemaValidator(document.RootElement);
    }

    private static bool TryAction(string id, string suffix, out string action)
    {
        const string Prefix = "urn:";
        action = string.Empty;
        if (!id.StartsWith(Prefix, StringComparison.Ordinal) || !id.EndsWith(suffix, StringComparison.Ordinal))
        {
            return false;
        }

        action = id[Prefix.Length..^suffix.Length];
        return action.Length > 0;
    }

    private SchemaViolation? Validate(FrozenDictionary<string, CompiledSchema> schemas, string action, JsonElement payload)
    {
        if (!schemas.TryGetValue(action, out var schema))
        {
            // OCPP-J 1.6 §4.2.3: NotImplemented, "Requested Action is not known by receiver".
            return new SchemaViolation(OcppErrorCodes.NotImplemented, "Action is not known to this OCPP 1.6 endpoint");
        }

        if (schema.Node.IsValid(payload))
        {
            return null;
        }

        // A number JsonSchema.Net would overflow the stack on (DecimalMultiple.MaxReferenceDigits) is named here.
        var beyondReference = false;
        if (schema.Node.FindNumberBeyondReference(payload, ref beyondReference, out var divisor) is { } pointer)
        {
            return new SchemaViolation(OcppErrorCodes.PropertyConstraintViolation, $"{Bound(pointer)}: multipleOf {divisor.Text} not met");
        }

        if (beyondReference)
        {
            return new SchemaViolation(OcppErrorCodes.FormationViolation, "Payload does not match the schema");
        }

        // JsonSchema.Net has the last word on a rejection; the compiled schemas only decide acceptance quickly.
        var results = schema.Schema.Evaluate(payload, detailedOptions);
        if (results.IsValid)
        {
            return null;
        }

        return FirstFailure(results) is { } failure
            ? Describe(failure.Node, failure.Keyword, schema.Source, payload)
            : new SchemaViolation(OcppErrorCodes.FormationViolation, "Payload does not match the schema");
    }

    private static (EvaluationResults Node, string Keyword)? FirstFailure(EvaluationResults root)
    {
        if (root.Errors is { Count: > 0 } rootErrors)
        {
            return (root, rootErrors.Keys.First());
        }

        foreach (var node in root.Details ?? [])
        {
            if (node.Errors is { Count: > 0 } errors)
            {
                return (node, errors.Keys.First());
            }
        }

        return null;
    }

    private static SchemaViolation Describe(EvaluationResults node, string keyword, JsonElement schemaSource, JsonElement payload)
    {
        // JsonSchema.Net 8.0.5 reports a wrong SchemaLocation below "items" (it repeats the parent property name),
        // so the failing subschema is found by walking the evaluation path instead.
        var path = node.EvaluationPath;
        var subschema = Resolve(schemaSource, path);

        // A "false" subschema (here only additionalProperties: false) reports its error under an empty keyword;
        // the keyword is then the last segment of the evaluation path.
        if (keyword.Length == 0 && path.SegmentCount > 0)
        {
            keyword = path[path.SegmentCount - 1].ToString();
            subschema = null;
        }

        var keywordValue = subschema is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty(keyword, out var value) ? value : (JsonElement?)null;
        var location = node.InstanceLocation.ToString();
        var code = ErrorCodeFor(keyword);
        var text = keyword switch
        {
            "required" => $"{Bound(location + "/" + FirstMissing(keywordValue, node.InstanceLocation.Evaluate(payload)))}: required property missing",
            "type" => $"{Bound(location)}: type {Raw(keywordValue)} expected",
            "maxLength" or "maxItems" or "maxProperties" or "maximum" => $"{Bound(location)}: {keyword} {Raw(keywordValue)} exceeded",
            "minLength" or "minItems" or "minProperties" or "minimum" => $"{Bound(location)}: {keyword} {Raw(keywordValue)} not met",
            "exclusiveMaximum" or "exclusiveMinimum" or "multipleOf" => $"{Bound(location)}: {keyword} {Raw(keywordValue)} not met",
            "format" => $"{Bound(location)}: format {Raw(keywordValue)} not met",
            "enum" => $"{Bound(location)}: enum value not allowed",
            "pattern" => $"{Bound(location)}: pattern not matched",
            "additionalProperties" => $"{Bound(location)}: additionalProperties not allowed",
            _ => $"{Bound(location)}: {keyword} failed",
        };

        return new SchemaViolation(code, text.Length <= MaxDescriptionLength ? text : text[..MaxDescriptionLength]);
    }

    // OCPP-J 1.6 §4.2.3 code meanings: TypeConstraintViolation "a field contains a value of the wrong type";
    // OccurenceConstraintViolation "a field occurs too few or too many times"; PropertyConstraintViolation
    // "a field contains an invalid value"; FormationViolation "not conform the PDU structure".
    private static string ErrorCodeFor(string keyword) => keyword switch
    {
        "type" => OcppErrorCodes.TypeConstraintViolation,
        "required" or "minItems" or "maxItems" or "minProperties" or "maxProperties" => OcppErrorCodes.OccurenceConstraintViolation,
        "enum" or "const" or "maxLength" or "minLength" or "pattern" or "format" or "minimum" or "maximum"
            or "exclusiveMinimum" or "exclusiveMaximum" or "multipleOf" => OcppErrorCodes.PropertyConstraintViolation,
        _ => OcppErrorCodes.FormationViolation,
    };

    // Follows an evaluation path (schema keywords, with "$ref" hops) through the schema's source JSON.
    private static JsonElement? Resolve(JsonElement root, JsonPointer evaluationPath)
    {
        var current = root;
        for (var i = 0; i < evaluationPath.SegmentCount; i++)
        {
            var segment = evaluationPath[i].ToString();
            if (current.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (segment == "$ref")
            {
                var reference = current.TryGetProperty("$ref", out var value) ? value.GetString() : null;
                if (reference is null || !reference.StartsWith('#') || !JsonPointer.TryParse(reference[1..], out var target)
                    || target.Evaluate(root) is not { } resolved)
                {
                    return null;
                }

                current = resolved;
            }
            else if (current.TryGetProperty(segment, out var child))
            {
                current = child;
            }
            else
            {
                return null;
            }
        }

        return current;
    }

    private static string FirstMissing(JsonElement? required, JsonElement? instance)
    {
        if (required is { ValueKind: JsonValueKind.Array } names && instance is { ValueKind: JsonValueKind.Object } obj)
        {
            foreach (var name in names.EnumerateArray())
            {
                var property = name.GetString();
                if (property is not null && !obj.TryGetProperty(property, out _))
                {
                    return property;
                }
            }
        }

        return "?";
    }

    // Keyword values come from the trusted schema; instance locations may hold attacker-chosen property names.
    private static string Raw(JsonElement? value) => value is { } v
        ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()
        : "?";

    private static string Bound(string location)
    {
        if (location.Length == 0)
        {
            return "(root)";
        }

        return location.Length <= MaxPointerLength ? location : string.Concat(location.AsSpan(0, MaxPointerLength), "...");
    }

    private sealed record CompiledSchema(JsonSchema Schema, SchemaNode Node, JsonElement Source);
}
