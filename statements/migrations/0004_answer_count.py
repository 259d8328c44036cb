# Written by hand: the model, and the triggers that keep it.
"""Each participant's answer count (``AnswerCount``) and the triggers that keep it.

PostgreSQL: statement-level triggers with transition tables, so a bulk insert or a COPY of a
million votes (an import, ``recluster_bench``) updates each participant once, and a resident's
vote adds one. SQLite: row-level triggers. On both, a vote moved to another participant (not
something the app does) moves its count, and a participant's row goes with the participant.
An upsert that changes an answer inserts no vote row and leaves the count as it is.

On a live PostgreSQL database the migration first locks the participant and vote tables, in the
order a vote takes them (creating the vote table's triggers first deadlocked with a vote in
flight, which held the participant table and waited for the vote table). Votes wait until the
migration commits, for as long as the initial count takes (a few seconds for millions of votes).
"""

from django.db import migrations, models

COUNTS = "statements_answercount"
VOTES = "statements_vote"
PARTICIPANTS = "statements_participant"

POSTGRESQL = [
    f"LOCK TABLE {PARTICIPANTS}, {VOTES} IN SHARE ROW EXCLUSIVE MODE",
    f"""
CREATE FUNCTION statements_answer_count_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COUNTS} (participant_id, answers)
    SELECT participant_id, count(*) FROM added GROUP BY participant_id
    ON CONFLICT (participant_id) DO UPDATE SET answers = {COUNTS}.answers + EXCLUDED.answers;
    RETURN NULL;
END
$$""",
    f"""
CREATE FUNCTION statements_answer_count_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {COUNTS} SET answers = {COUNTS}.answers - removed_count.answers
    FROM (SELECT participant_id, count(*) AS answers FROM removed GROUP BY participant_id) AS removed_count
    WHERE {COUNTS}.participant_id = removed_count.participant_id;
    RETURN NULL;
END
$$""",
    f"""
CREATE FUNCTION statements_answer_count_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {COUNTS} SET answers = answers - 1 WHERE participant_id = OLD.participant_id;
    INSERT INTO {COUNTS} (participant_id, answers) VALUES (NEW.participant_id, 1)
    ON CONFLICT (participant_id) DO UPDATE SET answers = {COUNTS}.answers + 1;
    RETURN NULL;
END
$$""",
    f"""
CREATE FUNCTION statements_answer_count_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {COUNTS};
    RETURN NULL;
END
$$""",
    f"""
CREATE FUNCTION statements_answer_count_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {COUNTS} WHERE participant_id IN (SELECT id FROM gone);
    RETURN NULL;
END
$$""",
    f"""CREATE TRIGGER statements_answer_count_insert AFTER INSERT ON {VOTES}
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION statements_answer_count_add()""",
    f"""CREATE TRIGGER statements_answer_count_delete AFTER DELETE ON {VOTES}
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION statements_answer_count_remove()""",
    f"""CREATE TRIGGER statements_answer_count_move AFTER UPDATE OF participant_id ON {VOTES}
        FOR EACH ROW WHEN (OLD.participant_id IS DISTINCT FROM NEW.participant_id)
        EXECUTE FUNCTION statements_answer_count_move()""",
    f"""CREATE TRIGGER statements_answer_count_truncate AFTER TRUNCATE ON {VOTES}
        FOR EACH STATEMENT EXECUTE FUNCTION statements_answer_count_clear()""",
    f"""CREATE TRIGGER statements_answer_count_forget AFTER DELETE ON {PARTICIPANTS}
        REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION statements_answer_count_forget()""",
    f"""INSERT INTO {COUNTS} (participant_id, answers)
        SELECT participant_id, count(*) FROM {VOTES} GROUP BY participant_id""",
]
POSTGRESQL_REVERSE = [
    f"DROP TRIGGER statements_answer_count_forget ON {PARTICIPANTS}",
    f"DROP TRIGGER statements_answer_count_truncate ON {VOTES}",
    f"DROP TRIGGER statements_answer_count_move ON {VOTES}",
    f"DROP TRIGGER statements_answer_count_delete ON {VOTES}",
    f"DROP TRIGGER statements_answer_count_insert ON {VOTES}",
    "DROP FUNCTION statements_answer_count_forget()",
    "DROP FUNCTION statements_answer_count_clear()",
    "DROP FUNCTION statements_answer_count_move()",
    "DROP FUNCTION statements_answer_count_remove()",
    "DROP FUNCTION statements_answer_count_add()",
]

SQLITE = [
    f"""CREATE TRIGGER statements_answer_count_insert AFTER INSERT ON {VOTES}
BEGIN
    INSERT INTO {COUNTS} (participant_id, answers) VALUES (NEW.participant_id, 1)
    ON CONFLICT (participant_id) DO UPDATE SET answers = answers + 1;
END""",
    f"""CREATE TRIGGER statements_answer_count_delete AFTER DELETE ON {VOTES}
BEGIN
    UPDATE {COUNTS} SET answers = answers - 1 WHERE participant_id = OLD.participant_id;
END""",
    f"""CREATE TRIGGER statements_answer_count_move AFTER UPDATE OF participant_id ON {VOTES}
WHEN OLD.participant_id != NEW.participant_id
BEGIN
    UPDATE {COUNTS} SET answers = answers - 1 WHERE participant_id = OLD.participant_id;
    INSERT INTO {COUNTS} (participant_id, answers) VALUES (NEW.participant_id, 1)
    ON CONFLICT (participant_id) DO UPDATE SET answers = answers + 1;
END""",
    f"""CREATE TRIGGER statements_answer_count_forget AFTER DELETE ON {PARTICIPANTS}
BEGIN
    DELETE FROM {COUNTS} WHERE participant_id = OLD.id;
END""",
    f"""INSERT INTO {COUNTS} (participant_id, answers)
        SELECT participant_id, count(*) FROM {VOTES} GROUP BY participant_id""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER statements_answer_count_forget",
    "DROP TRIGGER statements_answer_count_move",
    "DROP TRIGGER statements_answer_count_delete",
    "DROP TRIGGER statements_answer_count_insert",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("statements", "0003_statement_set_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnswerCount",
            fields=[
                ("participant_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("answers", models.IntegerField()),
            ],
            options={
                "verbose_name": "answer count",
                "verbose_name_plural": "answer counts",
            },
        ),
        # Reversed, the triggers go before the table does (RunPython runs after CreateModel).
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
