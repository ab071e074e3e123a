using System.Text.Json;
using ChargeLedger.Ocpp.Schemas;

namespace ChargeLedger.Ocpp.Tests.Schemas;

public class SchemaCompilerTests
{
    [Fact]
    public void compiles_every_ocpp_1_6_schema()
    {
        var schemas = OcppSchemaValidator.Ocpp16.Schemas.ToList();

        schemas.Count.ShouldBe(78);
        schemas.ShouldAllBe(s => SchemaCompiler.Compile(s.Source) != null);
    }

    [Theory]
    [InlineData("""{"type":"string","pattern":"^a$"}""")]
    [InlineData("""{"type":"string","minLength":1}""")]
    [InlineData("""{"type":"integer","minimum":0}""")]
    [InlineData("""{"type":"integer","maximum":10}""")]
    [InlineData("""{"type":"array","maxItems":3}""")]
    [InlineData("""{"type":"string","format":"email"}""")]
    [InlineData("""{"type":"string","format":7}""")]
    [InlineData("""{"type":"string","description":"an annotation is a keyword too"}""")]
    [InlineData("""{"type":"array","items":[{"type":"string"}]}""")]
    [InlineData("""{"type":"array","items":true}""")]
    [InlineData("""{"type":"object","additionalProperties":{"type":"string"}}""")]
    [InlineData("""{"type":"object","patternProperties":{"^a":{"type":"string"}}}""")]
    [InlineData("""{"properties":{"a":{"$ref":"other.json#/definitions/A"}}}""")]
    [InlineData("""{"properties":{"a":{"$ref":"#/definitions/Missing"}}}""")]
    [InlineData("""{"properties":{"a":{"$ref":"#/definitions/A","maxLength":3}},"definitions":{"A":{"type":"string"}}}""")]
    [InlineData("""{"properties":{"a":{"$ref":"#/definitions/A"}},"definitions":{"A":{"properties":{"b":{"$ref":"#/definitions/A"}}}}}""")]
    [InlineData("""{"definitions":{"Unused":{"type":"string","minLength":1}}}""")]
    [InlineData("""{"properties":{"a":{"$id":"urn:nested","type":"string"}}}""")]
    [InlineData("""{"properties":{"a":{"definitions":{}}}}""")]
    [InlineData("""{"$schema":"https://json-schema.org/draft/2020-12/schema"}""")]
    [InlineData("""{"type":"date"}""")]
    [InlineData("""{"type":[]}""")]
    [InlineData("""{"type":"number","multipleOf":0}""")]
    [InlineData("""{"type":"number","multipleOf":-0.1}""")]
    [InlineData("""{"type":"string","maxLength":2.5}""")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"}},"required":["b"]}""")]
    [InlineData("""{"type":"string","enum":["a",1]}""")]
    [InlineData("""{"type":"object","allOf":[{"type":"object"}]}""")]
    [InlineData("""{"properties":{"a":true}}""")]
    [InlineData("""true""")]
    public void refuses_a_keyword_or_value_it_does_not_implement(string schema)
    {
        using var document = JsonDocument.Parse(schema);

        Should.Throw<NotSupportedException>(() => SchemaCompiler.Compile(document.RootElement));
    }

    [Fact]
    public void names_the_schema_and_the_place_it_refuses()
    {
        using var document = JsonDocument.Parse("""{"$id":"urn:Future.req","properties":{"a":{"type":"string","pattern":"^a$"}}}""");

        Should.Throw<NotSupportedException>(() => SchemaCompiler.Compile(document.RootElement))
            .Message.ShouldStartWith("OCPP schema urn:Future.req at #/properties/a/pattern:");
    }
}
