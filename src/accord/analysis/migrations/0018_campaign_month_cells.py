# ruff: noqa: S608 - fixed SQL of table and column names only, no value from outside
"""Campaigns made per month and first two policy groups, kept by the database.

Host staff's new campaigns per month counted every campaign of the window through an index
(1.5 million at ten million objects: 200 ms) and read those whose first group they do not see
(53,000: 130 ms and their JSON in Python). The cells are kept by triggers on the campaigns'
table, so that every path that makes, changes or deletes campaigns (the ingest's upkeep, merges,
splits, the purge, a rebuild's rewrite, an update by hand) moves them in its own transaction:

- PostgreSQL: one statement-level trigger per event, over the statement's transition tables
  (a rebuild writing a million campaigns moves each cell once, not once per row), enabled
  ``ALWAYS``: a session writing as a replica (``accord.analysis.rewrite`` does, for the tables it
  rewrites) still moves the cells if it writes campaigns. A restore (``pg_restore``) makes the
  triggers after it has loaded the rows, so the cells it loads are not counted twice;
- SQLite: row-level triggers.

A deletion or the old side of an update only takes from cells that exist (never inserts a
negative one), so emptying the tables in any order, as a test's flush does, leaves no cell
below 0; an update moves cells only when the month or one of the two groups changed.
"""

from typing import Any

from django.db import migrations, models

CELLS = "analysis_campaignmonthcell"
KEY = "month, first_group, second_group"
PG_MONTH = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM')"


def _grouped(source: str, month: str) -> str:
    return (
        f"SELECT {month} AS month, first_group, COALESCE(second_group, 0) AS second_group, COUNT(*) AS n "
        f"FROM {source} WHERE first_group IS NOT NULL GROUP BY 1, 2, 3"
    )


def _add(source: str, month: str) -> str:
    return (
        f"INSERT INTO {CELLS} ({KEY}, count) SELECT month, first_group, second_group, n FROM ({_grouped(source, month)}) g "
        f"WHERE true ON CONFLICT ({KEY}) DO UPDATE SET count = {CELLS}.count + excluded.count"
    )


def _take(source: str) -> str:
    return (
        f"UPDATE {CELLS} c SET count = c.count - g.n FROM ({_grouped(source, PG_MONTH)}) g "
        "WHERE c.month = g.month AND c.first_group = g.first_group AND c.second_group = g.second_group"
    )


# old and new rows of an update whose key moved (an update of anything else moves no cell)
_MOVED = (
    "(SELECT o.* FROM {side} o JOIN {other} n ON n.id = o.id WHERE ("
    + PG_MONTH.replace("created_at", "o.created_at")
    + ", o.first_group, o.second_group) IS DISTINCT FROM ("
    + PG_MONTH.replace("created_at", "n.created_at")
    + ", n.first_group, n.second_group)) moved"
)

POSTGRES_UP = [
    f"""CREATE OR REPLACE FUNCTION analysis_campaign_month_cells() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        {_add("new_rows", PG_MONTH)};
      ELSIF TG_OP = 'DELETE' THEN
        {_take("old_rows")};
      ELSE
        {_take(_MOVED.format(side="old_rows", other="new_rows"))};
        {_add(_MOVED.format(side="new_rows", other="old_rows"), PG_MONTH)};
      END IF;
      RETURN NULL;
    END; $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER analysis_campaign_cells_insert AFTER INSERT ON analysis_campaign "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analysis_campaign_month_cells()",
    "CREATE TRIGGER analysis_campaign_cells_update AFTER UPDATE ON analysis_campaign "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION analysis_campaign_month_cells()",
    "CREATE TRIGGER analysis_campaign_cells_delete AFTER DELETE ON analysis_campaign "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION analysis_campaign_month_cells()",
    *(
        f"ALTER TABLE analysis_campaign ENABLE ALWAYS TRIGGER analysis_campaign_cells_{event}"
        for event in ("insert", "update", "delete")
    ),
]
POSTGRES_DOWN = [
    *(
        f"DROP TRIGGER IF EXISTS analysis_campaign_cells_{event} ON analysis_campaign"
        for event in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS analysis_campaign_month_cells()",
]


def _sqlite_add(row: str) -> str:
    return (
        f"INSERT INTO {CELLS} ({KEY}, count) SELECT substr({row}.created_at, 1, 7), {row}.first_group, "
        f"COALESCE({row}.second_group, 0), 1 WHERE {row}.first_group IS NOT NULL "
        f"ON CONFLICT ({KEY}) DO UPDATE SET count = count + 1;"
    )


def _sqlite_take(row: str) -> str:
    return (
        f"UPDATE {CELLS} SET count = count - 1 WHERE month = substr({row}.created_at, 1, 7) "
        f"AND first_group = {row}.first_group AND second_group = COALESCE({row}.second_group, 0);"
    )


SQLITE_UP = [
    f"CREATE TRIGGER analysis_campaign_cells_insert AFTER INSERT ON analysis_campaign BEGIN {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER analysis_campaign_cells_delete AFTER DELETE ON analysis_campaign BEGIN {_sqlite_take('OLD')} END",
    "CREATE TRIGGER analysis_campaign_cells_update AFTER UPDATE OF created_at, first_group, second_group "
    "ON analysis_campaign WHEN substr(OLD.created_at, 1, 7) IS NOT substr(NEW.created_at, 1, 7) "
    "OR OLD.first_group IS NOT NEW.first_group OR OLD.second_group IS NOT NEW.second_group "
    f"BEGIN {_sqlite_take('OLD')} {_sqlite_add('NEW')} END",
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS analysis_campaign_cells_{event}" for event in ("insert", "update", "delete")]

FILL = {
    "postgresql": [
        "UPDATE analysis_campaign SET second_group = (policy_groups->>1)::bigint WHERE jsonb_array_length(policy_groups) > 1",
        _add("analysis_campaign", PG_MONTH),
    ],
    "sqlite": [
        "UPDATE analysis_campaign SET second_group = json_extract(policy_groups, '$[1]') "
        "WHERE json_array_length(policy_groups) > 1",
        _add("analysis_campaign", "substr(created_at, 1, 7)"),
    ],
}


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def _up(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in FILL.get(vendor, []) + {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0017_correlations_in_list_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignMonthCell",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.CharField(help_text="YYYY-MM of the campaign's creation, UTC.", max_length=7)),
                ("first_group", models.BigIntegerField()),
                ("second_group", models.BigIntegerField(default=0)),
                ("count", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="campaign",
            name="second_group",
            field=models.BigIntegerField(blank=True, help_text="The second of policy_groups.", null=True),
        ),
        migrations.AddIndex(
            model_name="campaign",
            index=models.Index(fields=["first_group", "second_group", "created_at"], name="analysis_campaign_pair_idx"),
        ),
        migrations.AddConstraint(
            model_name="campaignmonthcell",
            constraint=models.UniqueConstraint(
                fields=("month", "first_group", "second_group"), name="analysis_campaignmonthcell_key"
            ),
        ),
        migrations.RunPython(_up, _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN})),
    ]
