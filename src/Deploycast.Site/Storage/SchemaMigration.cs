namespace Deploycast.Site.Storage;

/// <summary>
/// One step of the site database's schema. <see cref="Sql"/> is written once for both databases; two placeholders
/// stand for what their dialects spell differently: <c>{identity}</c> (an auto-numbered <c>bigint</c> primary key
/// whose numbers are never reused) and <c>{key}</c> (text compared and ordered byte by byte, whatever the database's
/// collation is).
/// </summary>
/// <param name="Version">The schema version after this step, from 1, one more than the step before.</param>
/// <param name="Description">What the step changes, for the log and the <c>schema_version</c> table.</param>
/// <param name="Sql">Statements separated by semicolons, run in one transaction.</param>
internal sealed record SchemaMigration(int Version, string Description, string Sql);
