from django.db import migrations


class Migration(migrations.Migration):
    """Keep the conversation rows narrow: search documents larger than 128 bytes are stored
    out of line. Search reads the matching conversations' rows to apply the view's filters;
    it never needs the document itself (the GIN index answers the words), so narrower rows
    mean fewer pages read per search."""

    dependencies = [("inbox", "0007_remove_conversation_conversation_needs_reply_idx_and_more")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE inbox_conversation SET (toast_tuple_target = 128)",
            "ALTER TABLE inbox_conversation RESET (toast_tuple_target)",
        )
    ]
