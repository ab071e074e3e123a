using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ChargeLedger.Ocpp.Schemas;

/// <summary>
/// Compiles an OCA schema into <see cref="SchemaNode"/>s. It knows exactly the keywords and keyword values the OCPP 1.6
/// schemas use and refuses anything else with <see cref="NotSupportedException"/>, so a schema added later is never
/// checked by less than it says.
/// </summary>
internal static class SchemaCompiler
{
    private const int MaxProperties = 64;

    public static SchemaNode Compile(JsonElement schema) => new Context(schema).Compile(schema, "#", isRoot: true);

    private sealed class Context(JsonElement root)
    {
        private readonly string id = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("$id", out var value)
            && value.ValueKind == JsonValueKind.String ? value.GetString()! : "(schema without $id)";

        private readonly Dictionary<string, SchemaNode> definitions = new(StringComparer.Ordinal);
        private readonly HashSet<string> compiling = new(StringComparer.Ordinal);

        public SchemaNode Compile(JsonElement schema, string path, bool isRoot = false)
        {
            if (schema.ValueKind != JsonValueKind.Object)
            {
                throw Refuse(path, "a schema that is not an object");
            }

            if (schema.TryGetProperty("$ref", out var reference))
            {
                if (schema.EnumerateObject().Count() > 1)
                {
                    throw Refuse(path, "$ref beside other keywords");
                }

                return new SchemaNode { Reference = Definition(reference, path + "/$ref") };
            }

            var types = JsonTypes.Any;
            string[]? enumValues = null;
            var maxLength = -1;
            var format = StringFormat.None;
            DecimalMultiple? multipleOf = null;
            var names = new List<string>();
            var subschemas = new List<SchemaNode>();
            string[] required = [];
            var additionalProperties = true;
            SchemaNode? items = null;
            var minItems = 0;
            foreach (var keyword in schema.EnumerateObject())
            {
                var at = path + "/" + keyword.Name;
                var value = keyword.Value;
                switch (keyword.Name)
                {
                    case "$id" when isRoot && value.ValueKind == JsonValueKind.String:
                        break;
                    case "$schema" when isRoot && value.ValueKind == JsonValueKind.String
                        && value.GetString() is "http://json-schema.org/draft-07/schema" or "http://json-schema.org/draft-07/schema#":
                        break;
                    case "definitions" when isRoot && value.ValueKind == JsonValueKind.Object:
                        foreach (var definition in value.EnumerateObject())
                        {
                            Definition(definition.Name, at);
                        }

                        break;
                    case "type":
                        types = Types(value, at);
                        break;
                    case "properties" when value.ValueKind == JsonValueKind.Object:
                        foreach (var property in value.EnumerateObject())
                        {
                            names.Add(property.Name);
                            subschemas.Add(Compile(property.Value, at + "/" + property.Name));
                        }

                        break;
                    case "required" when value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(n => n.ValueKind == JsonValueKind.String):
                        required = [.. value.EnumerateArray().Select(n => n.GetString()!)];
                        break;
                    case "additionalProperties" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        additionalProperties = value.ValueKind == JsonValueKind.True;
                        break;
                    case "enum" when value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String):
                        enumValues = [.. value.EnumerateArray().Select(v => v.GetString()!)];
                        break;
                    case "maxLength":
                        maxLength = NonNegativeInteger(value, at);
                        break;
                    case "format" when value.ValueKind == JsonValueKind.String && value.GetString() is "date-time":
                        format = StringFormat.DateTime;
                        break;
                    case "format" when value.ValueKind == JsonValueKind.String && value.GetString() is "uri":
                        format = StringFormat.Uri;
                        break;
                    case "items" when value.ValueKind == JsonValueKind.Object:
                        items = Compile(value, at);
                        break;
                    case "minItems":
                        minItems = NonNegativeInteger(value, at);
                        break;
                    case "multipleOf" when value.ValueKind == JsonValueKind.Number
                        && DecimalMultiple.TryCreate(JsonMarshal.GetRawUtf8Value(value), out var divisor):
                        multipleOf = divisor;
                        break;
                    default:
                        throw Refuse(at, $"keyword '{keyword.Name}' with this value");
                }
            }

            if (names.Count > MaxProperties || names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            {
                throw Refuse(path + "/properties", $"more than {MaxProperties} or repeated property names");
            }

            ulong requiredMask = 0;
            foreach (var name in required)
            {
                var index = names.IndexOf(name);
                if (index < 0)
                {
                    throw Refuse(path + "/required", $"required property '{name}' without a 'properties' entry");
                }

                requiredMask |= 1UL << index;
            }

            return new SchemaNode
            {
                Types = types,
                Enum = enumValues,
                EnumUtf8 = enumValues is null ? [] : [.. enumValues.Select(Encoding.UTF8.GetBytes)],
                MaxLength = maxLength,
                Format = format,
                MultipleOf = multipleOf,
                PropertyNames = [.. names.Select(Encoding.UTF8.GetBytes)],
                PropertyNameStrings = [.. names],
                PropertySchemas = [.. subschemas],
                RequiredMask = requiredMask,
                AdditionalProperties = additionalProperties,
                Items = items,
                MinItems = minItems,
            };
        }

        private SchemaNode Definition(JsonElement reference, string path)
        {
            const string Prefix = "#/definitions/";
            var target = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : string.Empty;
            if (!target.StartsWith(Prefix, StringComparison.Ordinal) || target.AsSpan(Prefix.Length).IndexOfAny('/', '~', '%') >= 0)
            {
                throw Refuse(path, $"$ref '{target}' (only #/definitions/<name>)");
            }

            return Definition(target[Prefix.Length..], path);
        }

        private SchemaNode Definition(string name, string path)
        {
            if (definitions.TryGetValue(name, out var compiled))
            {
                return compiled;
            }

            if (!root.TryGetProperty("definitions", out var all) || all.ValueKind != JsonValueKind.Object || !all.TryGetProperty(name, out var schema))
            {
                throw Refuse(path, $"$ref to the missing definition '{name}'");
            }

            if (!compiling.Add(name))
            {
                throw Refuse(path, $"recursive $ref to '{name}'");
            }

            compiled = Compile(schema, "#/definitions/" + name);
            compiling.Remove(name);
            definitions.Add(name, compiled);
            return compiled;
        }

        private JsonTypes Types(JsonElement value, string path)
        {
            JsonElement[] names = value.ValueKind switch
            {
                JsonValueKind.String => [value],
                JsonValueKind.Array => value.EnumerateArray().ToArray(),
                _ => throw Refuse(path, "a type that is neither a name nor an array of names"),
            };

            var types = JsonTypes.None;
            foreach (var name in names)
            {
                types |= (name.ValueKind == JsonValueKind.String ? name.GetString() : null) switch
                {
                    "null" => JsonTypes.Null,
                    "boolean" => JsonTypes.Boolean,
                    "object" => JsonTypes.Object,
                    "array" => JsonTypes.Array,
                    "number" => JsonTypes.Number,
                    "string" => JsonTypes.String,
                    "integer" => JsonTypes.Integer,
                    _ => throw Refuse(path, $"type {name.GetRawText()}"),
                };
            }

            return types == JsonTypes.None ? throw Refuse(path, "an empty type array") : types;
        }

        private int NonNegativeInteger(JsonElement value, string path) =>
            value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 0
                ? number
                : throw Refuse(path, $"{value.GetRawText()} (a non-negative integer is expected)");

        private NotSupportedException Refuse(string path, string what) =>
            new($"OCPP schema {id} at {path}: {what} is not supported by the compiled validator (SchemaCompiler).");
    }
}
