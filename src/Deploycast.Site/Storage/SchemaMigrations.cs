namespace Deploycast.Site.Storage;

/// <summary>
/// The site database's schema, as an ordered list of steps. Never edit a released step: add the next one. Version 1
/// is the whole schema of the first release.
/// </summary>
/// <remarks>
/// Conventions: times are <c>bigint</c> UTC ticks (100 ns since 0001-01-01, .NET's <c>DateTime.Ticks</c>); enums are
/// stored by name; ids and names that compare without regard to case are stored as given plus a lowercase
/// <c>*_key</c> column that constraints, joins and lookups use; lists are JSON text.
/// </remarks>
internal static class SchemaMigrations
{
    public static IReadOnlyList<SchemaMigration> All { get; } =
    [
        new(1, "site model: settings, counters, packages, distribution points, devices, collections, task sequences, deployments, status",
            """
            CREATE TABLE settings (
                name {key} PRIMARY KEY,
                value text NOT NULL);

            CREATE TABLE counters (
                name {key} PRIMARY KEY,
                value bigint NOT NULL);

            CREATE TABLE packages (
                id_key {key} PRIMARY KEY,
                id text NOT NULL,
                name text NOT NULL,
                description text,
                image_type text NOT NULL,
                latest_version integer NOT NULL,
                allow_multicast boolean NOT NULL,
                encrypt_multicast boolean NOT NULL,
                multicast_only boolean NOT NULL,
                created bigint NOT NULL,
                modified bigint NOT NULL);

            CREATE TABLE package_versions (
                package_key {key} NOT NULL REFERENCES packages (id_key) ON DELETE CASCADE,
                version integer NOT NULL,
                package_id text NOT NULL,
                content_id text NOT NULL,
                size bigint NOT NULL,
                source_path text NOT NULL,
                image_count integer,
                created bigint NOT NULL,
                PRIMARY KEY (package_key, version));

            CREATE TABLE distribution_points (
                id {key} PRIMARY KEY,
                url text NOT NULL,
                certificate_fingerprint text NOT NULL,
                is_local boolean NOT NULL,
                registered bigint NOT NULL,
                last_seen bigint NOT NULL);

            CREATE TABLE distribution_status (
                package_key {key} NOT NULL,
                version integer NOT NULL,
                distribution_point_id {key} NOT NULL REFERENCES distribution_points (id) ON DELETE CASCADE,
                package_id text NOT NULL,
                state text NOT NULL,
                message text,
                updated bigint NOT NULL,
                PRIMARY KEY (package_key, version, distribution_point_id),
                FOREIGN KEY (package_key, version) REFERENCES package_versions (package_key, version) ON DELETE CASCADE);
            CREATE INDEX distribution_status_dp ON distribution_status (distribution_point_id);

            CREATE TABLE devices (
                id {identity},
                name text NOT NULL,
                mac_addresses text NOT NULL,
                smbios_uuid {key},
                approval text NOT NULL,
                is_unknown boolean NOT NULL,
                ipv4_address text,
                created bigint NOT NULL,
                last_contact bigint);
            CREATE INDEX devices_smbios_uuid ON devices (smbios_uuid);

            CREATE TABLE device_macs (
                device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
                mac {key} NOT NULL,
                PRIMARY KEY (device_id, mac));
            CREATE INDEX device_macs_mac ON device_macs (mac);

            CREATE TABLE device_credentials (
                device_id bigint PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
                credential_hash {key} NOT NULL UNIQUE);

            CREATE TABLE collections (
                id_key {key} PRIMARY KEY,
                id text NOT NULL,
                name text NOT NULL,
                name_key {key} NOT NULL UNIQUE,
                description text,
                rules text NOT NULL,
                created bigint NOT NULL);

            CREATE TABLE collection_members (
                collection_key {key} NOT NULL REFERENCES collections (id_key) ON DELETE CASCADE,
                device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
                PRIMARY KEY (collection_key, device_id));
            CREATE INDEX collection_members_device ON collection_members (device_id);

            CREATE TABLE task_sequences (
                id_key {key} PRIMARY KEY,
                id text NOT NULL,
                name text NOT NULL,
                description text,
                steps text NOT NULL,
                created bigint NOT NULL,
                modified bigint NOT NULL);

            CREATE TABLE deployments (
                id_key {key} PRIMARY KEY,
                id text NOT NULL,
                task_sequence_key {key} NOT NULL REFERENCES task_sequences (id_key),
                task_sequence_id text NOT NULL,
                collection_key {key} NOT NULL REFERENCES collections (id_key),
                collection_id text NOT NULL,
                purpose text NOT NULL,
                available bigint,
                deadline bigint,
                content_option text NOT NULL,
                allow_unicast_fallback boolean NOT NULL,
                created bigint NOT NULL);
            CREATE INDEX deployments_task_sequence ON deployments (task_sequence_key);
            CREATE INDEX deployments_collection ON deployments (collection_key);

            CREATE TABLE deployment_device_states (
                deployment_key {key} NOT NULL REFERENCES deployments (id_key) ON DELETE CASCADE,
                device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
                deployment_id text NOT NULL,
                state text NOT NULL,
                step integer,
                step_name text,
                progress integer,
                message text,
                updated bigint NOT NULL,
                PRIMARY KEY (deployment_key, device_id));
            CREATE INDEX deployment_device_states_device ON deployment_device_states (device_id);

            CREATE TABLE status_messages (
                id {identity},
                message_time bigint NOT NULL,
                source text NOT NULL,
                message_id integer NOT NULL,
                severity text NOT NULL,
                component text NOT NULL,
                message_text text NOT NULL,
                device_id bigint,
                deployment_id text,
                deployment_key {key},
                distribution_point_id {key},
                step integer,
                step_name text,
                progress integer);
            CREATE INDEX status_messages_time ON status_messages (message_time, id);
            CREATE INDEX status_messages_device ON status_messages (device_id, message_time);
            CREATE INDEX status_messages_deployment ON status_messages (deployment_key, message_time);
            CREATE INDEX status_messages_dp ON status_messages (distribution_point_id, message_time);
            """),
        new(2, "distribution points that run alone: their credential (hashed) and what they last reported",
            """
            ALTER TABLE distribution_points ADD COLUMN credential_hash {key};
            ALTER TABLE distribution_points ADD COLUMN health text;
            CREATE UNIQUE INDEX distribution_points_credential ON distribution_points (credential_hash);
            """),
        new(3, "a MAC address belongs to one device: unique index on device_macs.mac (duplicates from before go to the oldest device)",
            """
            DELETE FROM device_macs WHERE EXISTS (
                SELECT 1 FROM device_macs AS older WHERE older.mac = device_macs.mac AND older.device_id < device_macs.device_id);
            DROP INDEX device_macs_mac;
            CREATE UNIQUE INDEX device_macs_mac ON device_macs (mac);
            """),
    ];

    /// <summary>The newest schema version this code knows.</summary>
    public static int Latest => All[^1].Version;
}
