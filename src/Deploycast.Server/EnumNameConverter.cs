using System.Text.Json;
using System.Text.Json.Serialization;

namespace Deploycast.Server;

/// <summary>
/// Enumerations as their names in the API (case ignored when read; a member's number is accepted too), and a value that
/// is neither gets an error that lists the names it may be, instead of the serializer's message about .NET types.
/// </summary>
internal sealed class EnumNameConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<T> : JsonConverter<T>
        where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (text is not null && !char.IsAsciiDigit(text.FirstOrDefault()) && text.FirstOrDefault() != '-'
                && Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value))
            {
                return value;
            }

            // Numbers are accepted too (clients that serialise enums as numbers), when they name a member.
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number)
                && Enum.IsDefined(typeof(T), number))
            {
                return (T)Enum.ToObject(typeof(T), number);
            }

            var given = reader.TokenType == JsonTokenType.String ? $"'{text}'" : reader.TokenType.ToString().ToLowerInvariant();
            throw new JsonException($"{given} is not one of {string.Join(", ", Enum.GetNames<T>())}.");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
