using Csa.Records.Internal;

namespace Csa.Records.Sqlite.Internal;

/// <summary>The SQLite schema, version by version (docs/records.md section 3 shows the PostgreSQL one beside it).</summary>
internal static class SqliteSchema
{
    private const string Uid = "length({0}) = 24 AND {0} NOT GLOB '*[^0-9A-F]*'";
    private const string Id = "length({0}) = 36";
    private const string Time = "length({0}) = 27";

    private static string Check(string pattern, string column) => string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, column);

    private static readonly string[] AppendOnlyTables =
        ["csa_schema_version", "identity_claims", "claim_voids", "provisioning_records", "install_records", "journal_items", "journal_voids", "journal_forwarded"];

    public static readonly IReadOnlyList<SqlMigration> Migrations =
    [
        new SqlMigration(1, "records schema 1: identity claims and voids, provisioning and install records, append-only; local journal tables",
        [
            """
            CREATE TABLE csa_schema_version (
                version     INTEGER PRIMARY KEY,
                description TEXT NOT NULL,
                applied_at  TEXT NOT NULL,
                applied_by  TEXT NOT NULL
            )
            """,
            $"""
            CREATE TABLE identity_claims (
                claim_id            TEXT PRIMARY KEY CHECK ({Check(Id, "claim_id")}),
                uid                 TEXT NOT NULL CHECK ({Check(Uid, "uid")}),
                generation          INTEGER NOT NULL CHECK (generation >= 0),
                previous_generation INTEGER CHECK ((generation = 0 AND previous_generation IS NULL) OR previous_generation = generation - 1),
                public_key          BLOB NOT NULL CHECK (length(public_key) = 65),
                production_key_id   TEXT NOT NULL CHECK (length(production_key_id) = 16 AND production_key_id NOT GLOB '*[^0-9a-f]*'),
                serial_number       INTEGER NOT NULL CHECK (serial_number BETWEEN 1 AND 4294967295),
                adopted             INTEGER NOT NULL CHECK (adopted IN (0, 1)),
                station             TEXT NOT NULL,
                operator            TEXT NOT NULL,
                run_id              TEXT NOT NULL CHECK ({Check(Id, "run_id")}),
                claimed_at          TEXT NOT NULL CHECK ({Check(Time, "claimed_at")}),
                CONSTRAINT identity_claims_one_per_generation UNIQUE (uid, generation),
                CONSTRAINT identity_claims_key_once UNIQUE (public_key),
                CONSTRAINT identity_claims_serial_once UNIQUE (production_key_id, serial_number),
                CONSTRAINT identity_claims_row UNIQUE (claim_id, uid, generation),
                CONSTRAINT identity_claims_after_void FOREIGN KEY (uid, previous_generation) REFERENCES claim_voids (uid, generation)
            )
            """,
            $"""
            CREATE TABLE claim_voids (
                claim_id   TEXT PRIMARY KEY,
                uid        TEXT NOT NULL,
                generation INTEGER NOT NULL,
                record_id  TEXT NOT NULL UNIQUE CHECK ({Check(Id, "record_id")}),
                reason     TEXT NOT NULL CHECK (length(reason) > 0),
                station    TEXT NOT NULL,
                operator   TEXT NOT NULL,
                run_id     TEXT NOT NULL CHECK ({Check(Id, "run_id")}),
                voided_at  TEXT NOT NULL CHECK ({Check(Time, "voided_at")}),
                CONSTRAINT claim_voids_one_per_generation UNIQUE (uid, generation),
                CONSTRAINT claim_voids_claim FOREIGN KEY (claim_id, uid, generation) REFERENCES identity_claims (claim_id, uid, generation)
            )
            """,
            $"""
            CREATE TABLE provisioning_records (
                record_id         TEXT PRIMARY KEY CHECK ({Check(Id, "record_id")}),
                run_id            TEXT NOT NULL CHECK ({Check(Id, "run_id")}),
                recorded_at       TEXT NOT NULL CHECK ({Check(Time, "recorded_at")}),
                uid               TEXT NOT NULL CHECK ({Check(Uid, "uid")}),
                event             TEXT NOT NULL CHECK (event IN ('Issued', 'Provisioned', 'AlreadyProvisioned', 'Failed', 'Cancelled')),
                serial_number     INTEGER CHECK (serial_number BETWEEN 1 AND 4294967295),
                certificate       BLOB CHECK (certificate IS NULL OR length(certificate) = 176),
                public_key        BLOB CHECK (public_key IS NULL OR length(public_key) = 65),
                production_key_id TEXT CHECK (production_key_id IS NULL OR length(production_key_id) = 16),
                vendor_id         INTEGER CHECK (vendor_id BETWEEN 0 AND 4294967295),
                device_class_id   INTEGER CHECK (device_class_id BETWEEN 0 AND 4294967295),
                claim_id          TEXT,
                station           TEXT NOT NULL,
                operator          TEXT NOT NULL,
                error_code        TEXT,
                error             TEXT,
                CHECK (event NOT IN ('Issued', 'Provisioned', 'AlreadyProvisioned') OR (certificate IS NOT NULL AND public_key IS NOT NULL AND serial_number IS NOT NULL)),
                CHECK (event NOT IN ('Failed', 'Cancelled') OR error_code IS NOT NULL)
            )
            """,
            "CREATE INDEX provisioning_records_uid ON provisioning_records (uid, recorded_at)",
            "CREATE INDEX provisioning_records_time ON provisioning_records (recorded_at)",
            "CREATE INDEX provisioning_records_serial ON provisioning_records (serial_number)",
            $"""
            CREATE TABLE install_records (
                record_id        TEXT PRIMARY KEY CHECK ({Check(Id, "record_id")}),
                run_id           TEXT NOT NULL CHECK ({Check(Id, "run_id")}),
                uid              TEXT NOT NULL CHECK ({Check(Uid, "uid")}),
                operation        TEXT NOT NULL CHECK (operation IN ('install', 'update')),
                image_kind       TEXT CHECK (image_kind IN ('Application', 'Bootloader')),
                version          TEXT,
                security_counter INTEGER CHECK (security_counter BETWEEN 0 AND 4294967295),
                image_sha256     BLOB CHECK (image_sha256 IS NULL OR length(image_sha256) = 32),
                payload_sha256   BLOB CHECK (payload_sha256 IS NULL OR length(payload_sha256) = 32),
                version_before   TEXT,
                version_after    TEXT,
                started_at       TEXT NOT NULL CHECK ({Check(Time, "started_at")}),
                ended_at         TEXT NOT NULL CHECK ({Check(Time, "ended_at")} AND ended_at >= started_at),
                payload_bytes    INTEGER NOT NULL CHECK (payload_bytes >= 0),
                bytes_sent       INTEGER NOT NULL CHECK (bytes_sent >= 0),
                bytes_resumed    INTEGER NOT NULL CHECK (bytes_resumed >= 0),
                result           TEXT NOT NULL CHECK (result IN ('Succeeded', 'Failed', 'Cancelled')),
                error_code       TEXT,
                error            TEXT,
                station          TEXT NOT NULL,
                operator         TEXT NOT NULL,
                CHECK (result = 'Succeeded' OR error_code IS NOT NULL)
            )
            """,
            "CREATE INDEX install_records_uid ON install_records (uid, started_at)",
            "CREATE INDEX install_records_time ON install_records (started_at)",
            // The journal: the order rows were kept in, releases of claims that live in the database, and which were forwarded.
            """
            CREATE TABLE journal_items (
                seq         INTEGER PRIMARY KEY AUTOINCREMENT,
                record_id   TEXT NOT NULL UNIQUE,
                kind        TEXT NOT NULL CHECK (kind IN ('provisioning', 'install', 'void')),
                journaled_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE journal_voids (
                record_id TEXT PRIMARY KEY,
                claim_id  TEXT,
                uid       TEXT NOT NULL,
                reason    TEXT NOT NULL,
                station   TEXT NOT NULL,
                operator  TEXT NOT NULL,
                run_id    TEXT NOT NULL,
                voided_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE journal_forwarded (
                record_id    TEXT PRIMARY KEY REFERENCES journal_items (record_id),
                forwarded_at TEXT NOT NULL
            )
            """,
            .. AppendOnlyTables.SelectMany(t => new[]
            {
                $"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} BEGIN SELECT RAISE(ABORT, 'csa records are append-only: UPDATE on {t} refused (a correction is a new row)'); END",
                $"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} BEGIN SELECT RAISE(ABORT, 'csa records are append-only: DELETE on {t} refused (a correction is a new row)'); END",
            }),
        ]),
    ];
}
