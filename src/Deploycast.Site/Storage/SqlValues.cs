using System.Data;
using System.Data.Common;

namespace Deploycast.Site.Storage;

/// <summary>
/// How values travel to and from columns, the same way for both databases: times as <c>bigint</c> UTC ticks (100 ns,
/// exact and ordered), enums by name, GUIDs as lowercase text. Every parameter has a <see cref="DbType"/>, so
/// PostgreSQL never has to guess the type of a null.
/// </summary>
internal static class SqlValues
{
    public static DbCommand With(this DbCommand command, string name, string? value) => command.Add(name, DbType.String, value);

    public static DbCommand With(this DbCommand command, string name, long? value) => command.Add(name, DbType.Int64, value);

    public static DbCommand With(this DbCommand command, string name, int? value) => command.Add(name, DbType.Int32, value);

    public static DbCommand With(this DbCommand command, string name, bool value) => command.Add(name, DbType.Boolean, value);

    public static DbCommand With(this DbCommand command, string name, DateTimeOffset? value) =>
        command.Add(name, DbType.Int64, value?.UtcTicks);

    public static DbCommand With(this DbCommand command, string name, Guid? value) =>
        command.Add(name, DbType.String, value?.ToString("D"));

    public static DbCommand WithEnum<TEnum>(this DbCommand command, string name, TEnum value)
        where TEnum : struct, Enum =>
        command.Add(name, DbType.String, value.ToString());

    /// <summary>Parameter names <c>@{prefix}0</c>, <c>@{prefix}1</c>, ... for an <c>IN (...)</c> list.</summary>
    public static IReadOnlyList<string> ParameterNames(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => "@" + prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>Binds <paramref name="values"/> to <paramref name="names"/>, one by one.</summary>
    public static DbCommand WithList(this DbCommand command, IReadOnlyList<string> names, IReadOnlyList<string> values)
    {
        for (var i = 0; i < names.Count; i++)
        {
            command.With(names[i], values[i]);
        }

        return command;
    }

    /// <summary>The key a case-insensitive id or name is stored and looked up by.</summary>
    public static string Key(string idOrName) => idOrName.ToLowerInvariant();

    /// <summary>A MAC address as device_macs holds it: lowercase, colon-separated.</summary>
    public static string MacKey(string mac) => mac.Trim().Replace('-', ':').ToLowerInvariant();

    public static DateTimeOffset GetTime(this DbDataReader reader, int ordinal) => new(reader.GetInt64(ordinal), TimeSpan.Zero);

    public static DateTimeOffset? GetNullableTime(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetTime(ordinal);

    public static string? GetNullableString(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static int? GetNullableInt32(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static long? GetNullableInt64(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static Guid? GetNullableGuid(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Guid.Parse(reader.GetString(ordinal));

    public static TEnum GetEnum<TEnum>(this DbDataReader reader, int ordinal)
        where TEnum : struct, Enum =>
        Enum.Parse<TEnum>(reader.GetString(ordinal));

    private static DbCommand Add(this DbCommand command, string name, DbType type, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }
}
