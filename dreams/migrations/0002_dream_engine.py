from django.db import migrations, models


def engine_from_progress(apps, schema_editor):
    """Dreams made before the column recorded their engine inside `progress`."""
    Dream = apps.get_model("dreams", "Dream")
    for dream in Dream.objects.exclude(progress={}).only("id", "progress").iterator(chunk_size=500):
        engine = dream.progress.pop("engine", None)
        if engine:
            Dream.objects.filter(pk=dream.pk).update(engine=engine, progress=dream.progress)


class Migration(migrations.Migration):
    dependencies = [("dreams", "0001_initial")]

    operations = [
        migrations.AddField(model_name="dream", name="engine", field=models.CharField(default="", max_length=64)),
        migrations.RunPython(engine_from_progress, migrations.RunPython.noop),
    ]
