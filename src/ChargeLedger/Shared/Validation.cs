using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.Shared;

/// <summary>FluentValidation to RFC 9457 problem details (WolverineFx.Http.FluentValidation is not served here; CRITTER-STACK §6.8).</summary>
public static class Validation
{
    public static async Task<ProblemDetails> ProblemsAsync<T>(T command, IValidator<T> validator)
    {
        var result = await validator.ValidateAsync(command);
        return result.IsValid ? WolverineContinue.NoProblems : Problem(result);
    }

    /// <summary>
    /// Field names as the JSON body spells them (camelCase), so clients can map each error to its field; nested fields keep
    /// their path ("elements[0].priceComponents[1].price").
    /// </summary>
    public static ValidationProblemDetails Problem(ValidationResult result) =>
        new(result.ToDictionary().ToDictionary(e => CamelCasePath(e.Key), e => e.Value))
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid",
        };

    private static string CamelCasePath(string path) =>
        string.Join('.', path.Split('.').Select(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName));

    public static IResult Invalid(string field, string message) =>
        Results.Problem(new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid",
        });

    public static IResult Conflict(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: detail);

    public static IResult NotFound(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    /// <summary>
    /// A Basic-auth or MQTT password: 16 to <paramref name="maxLength"/> printable ASCII characters (the OCPP security
    /// whitepaper's rule for charge points, 16-40).
    /// </summary>
    public static IRuleBuilderOptions<T, string> MustBePassword<T>(this IRuleBuilder<T, string> rule, int maxLength) =>
        rule.Length(16, maxLength).Matches("^[\\x21-\\x7E]+$")
            .WithMessage($"Must be 16-{maxLength} printable ASCII characters without spaces.");

    public static IRuleBuilderOptions<T, string> MustBeLedgerId<T>(this IRuleBuilder<T, string> rule) =>
        rule.NotEmpty().Must(StreamKeys.IsValidId)
            .WithMessage("Must be 1-48 characters: letters, digits, '.', '_' or '-', starting with a letter or digit.");
}
