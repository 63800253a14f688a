using Csa.Records.Internal;

namespace Csa.Records.PostgreSql.Internal;

/// <summary>The PostgreSQL schema, version by version (docs/records.md section 3).</summary>
internal static class PostgreSqlSchema
{
    private static readonly string[] AppendOnlyTables = ["csa_schema_version", "identity_claims", "claim_voids", "provisioning_records", "install_records"];

    public static readonly IReadOnlyList<SqlMigration> Migrations =
    [
        new SqlMigration(1, "records schema 1: identity claims and voids, provisioning and install records, append-only",
        [
            """
            CREATE TABLE csa_schema_version (
                version     integer PRIMARY KEY,
                description text NOT NULL,
                applied_at  timestamptz NOT NULL,
                applied_by  text NOT NULL
            )
            """,
            """
            CREATE FUNCTION csa_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'csa records are append-only: % on % refused (a correction is a new row)', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'restrict_violation';
            END
            $$
            """,
            "CREATE SEQUENCE csa_certificate_serial AS bigint MINVALUE 1 MAXVALUE 4294967295 NO CYCLE",
            """
            CREATE TABLE identity_claims (
                claim_id            uuid PRIMARY KEY,
                uid                 text NOT NULL CHECK (uid ~ '^[0-9A-F]{24}$'),
                generation          integer NOT NULL CHECK (generation >= 0),
                previous_generation integer CHECK ((generation = 0 AND previous_generation IS NULL) OR previous_generation = generation - 1),
                public_key          bytea NOT NULL CHECK (octet_length(public_key) = 65),
                production_key_id   text NOT NULL CHECK (production_key_id ~ '^[0-9a-f]{16}$'),
                serial_number       bigint NOT NULL CHECK (serial_number BETWEEN 1 AND 4294967295),
                adopted             integer NOT NULL CHECK (adopted IN (0, 1)),
                station             text NOT NULL,
                operator            text NOT NULL,
                run_id              uuid NOT NULL,
                claimed_at          timestamptz NOT NULL,
                CONSTRAINT identity_claims_one_per_generation UNIQUE (uid, generation),
                CONSTRAINT identity_claims_key_once UNIQUE (public_key),
                CONSTRAINT identity_claims_serial_once UNIQUE (production_key_id, serial_number),
                CONSTRAINT identity_claims_row UNIQUE (claim_id, uid, generation)
            )
            """,
            """
            CREATE TABLE claim_voids (
                claim_id   uuid PRIMARY KEY,
                uid        text NOT NULL,
                generation integer NOT NULL,
                record_id  uuid NOT NULL UNIQUE,
                reason     text NOT NULL CHECK (length(reason) > 0),
                station    text NOT NULL,
                operator   text NOT NULL,
                run_id     uuid NOT NULL,
                voided_at  timestamptz NOT NULL,
                CONSTRAINT claim_voids_one_per_generation UNIQUE (uid, generation),
                CONSTRAINT claim_voids_claim FOREIGN KEY (claim_id, uid, generation) REFERENCES identity_claims (claim_id, uid, generation)
            )
            """,
            "ALTER TABLE identity_claims ADD CONSTRAINT identity_claims_after_void FOREIGN KEY (uid, previous_generation) REFERENCES claim_voids (uid, generation)",
            """
            CREATE TABLE provisioning_records (
                record_id         uuid PRIMARY KEY,
                run_id            uuid NOT NULL,
                recorded_at       timestamptz NOT NULL,
                uid               text NOT NULL CHECK (uid ~ '^[0-9A-F]{24}$'),
                event             text NOT NULL CHECK (event IN ('Issued', 'Provisioned', 'AlreadyProvisioned', 'Failed', 'Cancelled')),
                serial_number     bigint CHECK (serial_number BETWEEN 1 AND 4294967295),
                certificate       bytea CHECK (certificate IS NULL OR octet_length(certificate) = 176),
                public_key        bytea CHECK (public_key IS NULL OR octet_length(public_key) = 65),
                production_key_id text CHECK (production_key_id IS NULL OR production_key_id ~ '^[0-9a-f]{16}$'),
                vendor_id         bigint CHECK (vendor_id BETWEEN 0 AND 4294967295),
                device_class_id   bigint CHECK (device_class_id BETWEEN 0 AND 4294967295),
                claim_id          uuid,
                station           text NOT NULL,
                operator          text NOT NULL,
                error_code        text,
                error             text,
                CHECK (event NOT IN ('Issued', 'Provisioned', 'AlreadyProvisioned') OR (certificate IS NOT NULL AND public_key IS NOT NULL AND serial_number IS NOT NULL)),
                CHECK (event NOT IN ('Failed', 'Cancelled') OR error_code IS NOT NULL)
            )
            """,
            "CREATE INDEX provisioning_records_uid ON provisioning_records (uid, recorded_at)",
            "CREATE INDEX provisioning_records_time ON provisioning_records (recorded_at)",
            "CREATE INDEX provisioning_records_serial ON provisioning_records (serial_number)",
            """
            CREATE TABLE install_records (
                record_id        uuid PRIMARY KEY,
                run_id           uuid NOT NULL,
                uid              text NOT NULL CHECK (uid ~ '^[0-9A-F]{24}$'),
                operation        text NOT NULL CHECK (operation IN ('install', 'update')),
                image_kind       text CHECK (image_kind IN ('Application', 'Bootloader')),
                version          text,
                security_counter bigint CHECK (security_counter BETWEEN 0 AND 4294967295),
                image_sha256     bytea CHECK (image_sha256 IS NULL OR octet_length(image_sha256) = 32),
                payload_sha256   bytea CHECK (payload_sha256 IS NULL OR octet_length(payload_sha256) = 32),
                version_before   text,
                version_after    text,
                started_at       timestamptz NOT NULL,
                ended_at         timestamptz NOT NULL CHECK (ended_at >= started_at),
                payload_bytes    bigint NOT NULL CHECK (payload_bytes >= 0),
                bytes_sent       bigint NOT NULL CHECK (bytes_sent >= 0),
                bytes_resumed    bigint NOT NULL CHECK (bytes_resumed >= 0),
                result           text NOT NULL CHECK (result IN ('Succeeded', 'Failed', 'Cancelled')),
                error_code       text,
                error            text,
                station          text NOT NULL,
                operator         text NOT NULL,
                CHECK (result = 'Succeeded' OR error_code IS NOT NULL)
            )
            """,
            "CREATE INDEX install_records_uid ON install_records (uid, started_at)",
            "CREATE INDEX install_records_time ON install_records (started_at)",
            .. AppendOnlyTables.SelectMany(t => new[]
            {
                $"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION csa_append_only()",
                $"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION csa_append_only()",
            }),
        ]),
    ];
}
